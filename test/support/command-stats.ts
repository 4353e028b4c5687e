// Counting what reaches Redis, for the tests that pin how many commands an operation costs.
import type { Redis } from 'ioredis';

/**
 * Commands the servers have run since the last CONFIG RESETSTAT, summed over them; the admin's own
 * and a Cluster client's bookkeeping left out.
 */
export async function serverCommandCalls(admins: readonly Redis[]): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const admin of admins) {
    const info = await admin.info('commandstats');
    for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (!/^(config|info|cluster|command|ping|readonly|select|client)\b/.test(name!))
        calls[name!] = (calls[name!] ?? 0) + Number(count);
    }
  }
  return calls;
}

/** Zeroes the servers' command counts (CONFIG RESETSTAT). */
export async function resetCommandStats(admins: readonly Redis[]): Promise<void> {
  await Promise.all(admins.map((admin) => admin.config('RESETSTAT')));
}

/**
 * Records the name of every command `client` sends into `sent`: what leaves the process, one
 * entry per round trip's command (a script counts once, where the server counts what it ran).
 */
export function recordSent(client: Redis, sent: string[]): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    sent.push(command.name.toLowerCase());
    return send(command, stream);
  };
}
