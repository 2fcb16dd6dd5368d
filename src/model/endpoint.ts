// How to reach a server: host and port, and its host:port spelling (the node names in histories and events).

export interface Endpoint {
  host: string;
  port: number;
}

export const addr = (e: Endpoint): string => `${e.host}:${e.port}`;
