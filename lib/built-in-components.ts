import { MEMORY_BACKEND_DESCRIPTOR } from './backends/memory-descriptor.js';
import { REDIS_BACKEND_DESCRIPTOR } from './backends/redis/descriptor.js';
import type { ComponentDescriptor } from './component.js';
import { HIT_MISS_RATIO_PLUGIN_DESCRIPTOR } from './plugins/hit-miss-ratio.js';
import { METRICS_PLUGIN_DESCRIPTOR } from './plugins/metrics.js';
import { TIMING_PLUGIN_DESCRIPTOR } from './plugins/timing.js';
import { JSON_SERIALIZER_DESCRIPTOR } from './serializers/json.js';
import { MSGPACK_SERIALIZER_DESCRIPTOR } from './serializers/msgpack.js';
import { NULL_SERIALIZER_DESCRIPTOR } from './serializers/null.js';
import { STRING_SERIALIZER_DESCRIPTOR } from './serializers/string.js';
import { STRUCTURED_CLONE_SERIALIZER_DESCRIPTOR } from './serializers/structured-clone.js';

/**
 * Every component type larder ships, in the order configs' messages list them. The `caches`
 * registry starts from these (and adds what `caches.register` is given); `Cache.fromUrl` knows
 * these only.
 */
export const BUILT_IN_COMPONENTS: readonly ComponentDescriptor[] = Object.freeze([
  MEMORY_BACKEND_DESCRIPTOR,
  REDIS_BACKEND_DESCRIPTOR,
  JSON_SERIALIZER_DESCRIPTOR,
  STRING_SERIALIZER_DESCRIPTOR,
  MSGPACK_SERIALIZER_DESCRIPTOR,
  STRUCTURED_CLONE_SERIALIZER_DESCRIPTOR,
  NULL_SERIALIZER_DESCRIPTOR,
  HIT_MISS_RATIO_PLUGIN_DESCRIPTOR,
  TIMING_PLUGIN_DESCRIPTOR,
  METRICS_PLUGIN_DESCRIPTOR,
]);
