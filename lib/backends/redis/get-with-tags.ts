import { createHash } from 'node:crypto';
import type { StoredWithTags } from '../backend.js';
import { TAG_MARK } from '../../tags/tagged-payload.js';
import type { Client } from './client.js';
import { isCluster } from './ioredis.js';
import { isReplyLost } from './lost-replies.js';
import { GET_WITH_TAGS } from './scripts.js';

const SHA = createHash('sha1').update(GET_WITH_TAGS).digest('hex');
const MARK = Buffer.from(TAG_MARK);
const NO_SCRIPT = /NOSCRIPT/;
// A server that refuses scripts (scripting turned off, an ACL without EVAL): plain GETs then.
const SCRIPTS_REFUSED = /unknown command|NOPERM|not allowed|disabled/i;

/**
 * `getWithTags` on Redis: one script (EVALSHA, EVAL once the server lacks it) that GETs the value
 * and, only when it starts with the tagged-entry mark, MGETs the tag keys its header names: one
 * round trip and one moment for a tagged entry, where GET then MGET of its tags is two.
 *
 * The script reads the tag keys without declaring them, which a single node (or a Sentinel's
 * master) allows; on a Cluster they live in another hash slot, which a script may not touch, so
 * there it is a plain GET and the cache reads the tags itself. The script only reads, so when a
 * dropped connection takes it out of the queue (every script counts as a write there: see
 * LostReplies), it is sent again, once.
 */
export class TaggedReads {
  readonly #client: Client;
  #scripts: boolean;

  constructor(client: Client) {
    this.#client = client;
    this.#scripts = !isCluster(client);
  }

  async read(client: Client, key: string): Promise<StoredWithTags | undefined> {
    if (!this.#scripts) return plain(await client.getBuffer(key));
    let reply: unknown;
    try {
      reply = await this.#run(client, key);
    } catch (error) {
      if (isReplyLost(error)) reply = await this.#run(this.#client, key);
      else if (error instanceof Error && SCRIPTS_REFUSED.test(error.message)) {
        this.#scripts = false;
        return plain(await client.getBuffer(key));
      } else throw error;
    }
    if (!Array.isArray(reply)) return undefined;
    const [value, tagValues] = reply as [Buffer, (Buffer | null)[] | undefined];
    return { value, tagValues: tagValues?.map((one) => one ?? undefined) };
  }

  #run(client: Client, key: string): Promise<unknown> {
    return client.callBuffer('EVALSHA', SHA, 1, key, MARK).catch((error: unknown) => {
      if (!(error instanceof Error) || !NO_SCRIPT.test(error.message)) throw error;
      return client.callBuffer('EVAL', GET_WITH_TAGS, 1, key, MARK);
    });
  }
}

function plain(value: Buffer | null): StoredWithTags | undefined {
  return value === null ? undefined : { value, tagValues: undefined };
}
