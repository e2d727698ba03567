// The order in which this process writes to its sockets (TCP, unix, a child's pipes), as Node makes the
// writes: each write `classify` names is recorded. Restored by vi.restoreAllMocks().
import { Socket } from 'node:net';
import { vi } from 'vitest';

export function recordSocketWrites(classify: (socket: Socket, text: string) => string | undefined): string[] {
  const writes: string[] = [];
  const write = Socket.prototype.write;
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const name = classify(this, String(args[0]));
    if (name !== undefined) writes.push(name);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  });
  return writes;
}
