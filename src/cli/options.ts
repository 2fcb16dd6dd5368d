// Option parsers shared by the CLI's commands.

/**
 * A comma-separated list that may also be given more than once (`--scenario a --scenario b` is `a,b`). Commander
 * keeps only the last value of a repeated option by default, so a second `--scenario` silently dropped the first.
 * One parser per option and program: the first value given replaces the default, later ones are appended.
 */
export function commaList(): (value: string, previous: string | undefined) => string {
  let given = false;
  return (value, previous) => {
    const out = given && previous ? `${previous},${value}` : value;
    given = true;
    return out;
  };
}
