// Writes to a socket during one turn of the event loop leave together: the first corks the
// socket, and it is uncorked once every I/O callback of the turn has run (setImmediate), so a
// turn that answers many requests or sends many frames makes one writev, not one write each.
// Nothing is held past the turn: latency is unchanged, system calls are fewer.
import type { Clock, SocketLike } from './env.ts';

const corked = new WeakSet<SocketLike>();

export function writeBatched(socket: SocketLike, bytes: Uint8Array, clock: Pick<Clock, 'soon'>): void {
  if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    clock.soon(() => {
      corked.delete(socket);
      socket.uncork(); // (a socket ended meanwhile is already uncorked: then a no-op)
    });
  }
  socket.write(bytes);
}
