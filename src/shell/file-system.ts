// The file-system calls Storage makes (storage.ts), as one object. In production it is node:fs
// itself: the same functions, called the same way, and the txn log's handle is node's own
// FileHandle, so the group commit's one O_DSYNC write per batch goes straight to it. A test
// passes its own, which can stop ("crash") after any mutating call and checks what was synced
// (test/shell/storage-crash.test.ts).
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** What Storage does with a file it opened asynchronously; node's FileHandle is one. */
export interface FileHandleLike {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: readonly Uint8Array[]): Promise<unknown>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Recursive; the first directory it created, if any (node's mkdirSync with `recursive`). */
  mkdirSync(dir: string, options: { recursive: true }): string | undefined;
  existsSync(path: string): boolean;
  readdirSync(dir: string): string[];
  readFileSync(path: string): Buffer;
  openSync(path: string, flags: string): number;
  writeFileSync(fd: number, data: Uint8Array): void;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  rmSync(path: string): void;
  open(path: string, flags: string | number): Promise<FileHandleLike>;
}

export const nodeFileSystem: FileSystem = {
  mkdirSync,
  existsSync,
  readdirSync,
  readFileSync,
  openSync,
  writeFileSync,
  fsyncSync,
  ftruncateSync,
  closeSync,
  renameSync,
  rmSync,
  open,
};
