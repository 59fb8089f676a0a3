// A four-letter word asked on a client port: the answer is everything until the server closes.
import { connect } from 'node:net';

export function askWord(host: string, port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port }, () => socket.write(word));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
  });
}
