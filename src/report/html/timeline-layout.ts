// The timeline's geometry (width, margins, label widths, lane height) and the shape of one of its rows.

export const TW = 1200;
export const TL = 200;
const TR = 24;
export const PW = TW - TL - TR;
/** Estimated advance of an 11 px label character (DejaVu Sans, the widest usual fallback); bold is wider. */
export const CHAR_W = 6.3;
export const BOLD_W = 7.5;
export const LANE_H = 13;

export interface Row {
  label: string;
  sub?: string;
  height: number;
  draw: (y: number) => string;
}

export interface Origin {
  ns: number;
  /** What t = 0 is, for sentences: "the fault landing". */
  label: string;
  /** The same for the axis: "fault landed". */
  axis: string;
  /** Whether t = 0 is the fault (drawn as a line across the timeline). */
  fault: boolean;
}
