// Raw TLS handshakes with a redis or sentinel port: which certificate it serves, and whether it lets a client
// with given material in (PING, and whatever comes back before the socket closes). Used by the secure profile's
// live checks and by the certificate faults' proofs; no key material is ever part of a result.
import type net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../model/endpoint.ts';

export interface PemMaterial {
  ca: string;
  cert: string;
  key: string;
}

export interface Probe {
  /** Whether the server kept the client out. */
  refused: boolean;
  observed: string;
}

const REPLY_WAIT_MS = 1500;
/** A RESP reply's first byte: a server that answered (whatever it said) let the client in. */
const RESP = /^[+\-:$*_]/;

function firstLine(data: string): string {
  return data.split('\r\n')[0]!.slice(0, 80);
}

/** Send PING on a socket and see what comes back before it closes (or 1.5 s pass). */
export function pingAndListen(sock: net.Socket | tls.TLSSocket, connectEvent: 'connect' | 'secureConnect'): Promise<Probe> {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const done = (p: Probe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(p);
    };
    const timer = setTimeout(
      () => done(RESP.test(data) ? { refused: false, observed: `answered ${firstLine(data)}` } : { refused: true, observed: 'no reply within 1.5 s' }),
      REPLY_WAIT_MS,
    );
    sock.on(connectEvent, () => sock.write('PING\r\n'));
    sock.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (RESP.test(data) && data.includes('\r\n')) done({ refused: false, observed: `answered ${firstLine(data)}` });
    });
    // The code says it (ECONNRESET, ERR_SSL_TLSV1_ALERT_UNKNOWN_CA); OpenSSL's message adds only its source location.
    sock.on('error', (e: NodeJS.ErrnoException) => done({ refused: true, observed: e.code ?? e.message.split('\n')[0]! }));
    sock.on('close', () =>
      done(RESP.test(data) ? { refused: false, observed: `answered ${firstLine(data)}` } : { refused: true, observed: 'closed without a RESP reply' }),
    );
  });
}

/**
 * A client presenting `client`: the server's own certificate is verified against `serverCa` but not its name,
 * so a refusal is the server's (an unknown CA, an expired certificate), not the client's.
 */
export function clientCertProbe(e: Endpoint, serverCa: string, client: { cert: string; key: string }): Promise<Probe> {
  const sock = tls.connect({ host: e.host, port: e.port, ca: serverCa, cert: client.cert, key: client.key, checkServerIdentity: () => undefined });
  return pingAndListen(sock, 'secureConnect');
}

export interface Served {
  fingerprint256: string;
  issuer: string;
  validTo: string;
  /** The certificate's subjectAltName as Node prints it. */
  subjectAltName: string;
}

/** The certificate the server at `e` serves, verified against `pem.ca` (its name is not checked); rejects with the TLS error code. */
export function servedCertificate(e: Endpoint, pem: PemMaterial): Promise<Served> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: e.host, port: e.port, ca: pem.ca, cert: pem.cert, key: pem.key, checkServerIdentity: () => undefined }, () => {
      const c = sock.getPeerCertificate();
      sock.destroy();
      resolve({
        fingerprint256: c.fingerprint256,
        issuer: Object.entries(c.issuer ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', '),
        validTo: c.valid_to,
        subjectAltName: c.subjectaltname ?? '',
      });
    });
    sock.setTimeout(REPLY_WAIT_MS, () => sock.destroy(new Error('no TLS handshake within 1.5 s')));
    sock.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message.split('\n')[0]!)));
  });
}
