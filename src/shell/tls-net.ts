// TLS sockets for the node environment (env.ts's `tls`): a listener that hands over a connection
// once its handshake is done and the client's certificate checked, port unification (a plain
// listener's connection whose first byte starts a TLS handshake goes through the same checks),
// and dialling a peer. The simulator has no TLS: a simulated Env leaves `tls` out.
//
// The checks follow ZooKeeper's (NettyServerCnxnFactory's CertificateVerifier, ZKTrustManager):
// need — a client without a certificate the trust store verifies fails the handshake; want — a
// client may come without one, but one that shows an unverifiable certificate is refused; none —
// none is asked for. A failed handshake closes that connection only, and is reported to `failed`.
import type { Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, createServer as tlsServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { ListenerLike, SocketLike } from './env.ts';
import type { TlsEndpoint } from './tls-options.ts';

/** A TLS connection ready for use, and the certificate (DER) its peer proved it holds, if any. */
export interface Secured {
  readonly socket: SocketLike;
  readonly certificate: Buffer | null;
}

export interface TlsListener extends ListenerLike {
  /** client.portUnification: a plain listener's connection; TLS when its first byte starts a handshake, else `plain` takes it (nothing read yet). */
  unify(socket: SocketLike, plain: () => void): void;
}

export interface TlsNet {
  createServer(endpoint: TlsEndpoint, secured: (s: Secured) => void, failed: (remote: string, why: string) => void): TlsListener;
  /** Dial a TLS server; `secured` once the handshake is done and the server's certificate checked. */
  connect(to: { readonly host: string; readonly port: number }, endpoint: TlsEndpoint, secured: () => void): SocketLike;
}

/** Netty's SslHandler gives a handshake 10 s; so does zabkit. */
const HANDSHAKE_MS = 10_000;

/** The first byte of a TLS record carrying a handshake (ClientHello). No ZooKeeper frame starts so: its length would be over 369 MB. */
const TLS_HANDSHAKE = 0x16;

const remoteOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }) => `${(s.remoteAddress ?? '?').replace(/^::ffff:/, '')}:${s.remotePort ?? '?'}`;

export const nodeTls: TlsNet = {
  createServer(endpoint, secured, failed) {
    const server = tlsServer({ ...endpoint.options, requestCert: endpoint.clientAuth !== 'none', rejectUnauthorized: endpoint.clientAuth === 'need', handshakeTimeout: HANDSHAKE_MS });
    // Connections still in their handshake: closing the listener ends them (it would wait for them).
    const handshaking = new Set<Socket>();
    // node:tls reports a refused certificate after the socket closed: its address is gone by then, but it was the last to close.
    let lastClosed = '?';
    server.on('connection', (raw: Socket) => {
      const remote = remoteOf(raw);
      handshaking.add(raw);
      raw.once('close', () => {
        handshaking.delete(raw);
        lastClosed = remote;
      });
    });
    const close = server.close.bind(server);
    server.on('secureConnection', (socket: TLSSocket) => {
      for (const raw of handshaking) if (raw.remotePort === socket.remotePort && raw.remoteAddress === socket.remoteAddress) handshaking.delete(raw);
      const why = refusal(socket, endpoint);
      if (why) {
        failed(remoteOf(socket), why);
        socket.destroy();
        return;
      }
      const cert = endpoint.clientAuth === 'none' ? null : socket.getPeerCertificate(true);
      secured({ socket, certificate: cert && cert.raw ? cert.raw : null });
    });
    // A failed handshake (garbage, no certificate, an untrusted one, a timeout): with this listener
    // node:tls leaves the socket open, so it is destroyed here. An untrusted certificate shows as a
    // hang-up whose reason is on the socket, closed by then: its address is the last that closed.
    server.on('tlsClientError', (e, socket: TLSSocket) => {
      const remote = socket.remoteAddress ? remoteOf(socket) : lastClosed;
      socket.destroy();
      const why = socket.authorizationError ? `client certificate not trusted: ${String(socket.authorizationError)}` : e.message.replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:/, '').replace(/:\.\.\/.*$/s, '');
      failed(remote, why);
    });
    return Object.assign(server, {
      close(done: () => void) {
        for (const raw of handshaking) raw.destroy();
        return close(() => done());
      },
      unify(socket: SocketLike, plain: () => void) {
        const s = socket as unknown as Socket; // a plain listener of the node environment hands node sockets
        s.on('error', () => s.destroy()); // a reset before the first byte: no one else listens yet
        s.once('data', (head: Buffer) => {
          s.pause();
          s.unshift(head);
          if (head[0] === TLS_HANDSHAKE) server.emit('connection', s);
          else {
            plain();
            s.resume();
          }
        });
      },
    });
  },

  connect(to, endpoint, secured) {
    const socket = tlsConnect({
      host: to.host,
      port: to.port,
      secureContext: endpoint.context,
      // node:tls checks the chain; the name check is ZooKeeper's hostnameVerification.
      rejectUnauthorized: true,
      checkServerIdentity: endpoint.hostnameVerification ? checkServerIdentity : () => undefined,
    });
    socket.once('secureConnect', secured);
    return socket;
  },
};

/** Why a connection whose handshake succeeded is refused all the same, or undefined. */
function refusal(socket: TLSSocket, endpoint: TlsEndpoint): string | undefined {
  if (endpoint.clientAuth === 'none') return undefined;
  const cert: PeerCertificate = socket.getPeerCertificate();
  const presented = cert !== null && Object.keys(cert).length > 0;
  // want: a client without a certificate is let in (with no x509 id); one it cannot verify is not.
  if (presented && !socket.authorized) return `client certificate not trusted: ${String(socket.authorizationError)}`;
  // The quorum's hostname verification: the peer's certificate must name the address it comes from.
  if (presented && endpoint.hostnameVerification && endpoint.verifyPeerAddress) {
    const err = checkServerIdentity((socket.remoteAddress ?? '').replace(/^::ffff:/, ''), cert);
    if (err) return `peer certificate does not match its address: ${err.message}`;
  }
  return undefined;
}
