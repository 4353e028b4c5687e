import type { BackendDescriptor, BackendUrl } from '../component.js';
import { didYouMean } from '../did-you-mean.js';
import { ConfigError } from '../errors.js';
import { MemoryBackend, type MemoryBackendOptions } from './memory.js';
import { MEMORY_BACKEND_OPTIONS } from './memory-options.js';

// The options a memory: URL may carry (sizeOf, a function, cannot be written in one).
const URL_PARAMS: readonly string[] = ['maxSize', 'maxBytes', 'sweepInterval'];

/** The `memory` backend type: `{ backend: 'memory' }`, `{ type: 'memory', maxSize }`, `memory://?maxSize=N`. */
export const MEMORY_BACKEND_DESCRIPTOR: BackendDescriptor<MemoryBackendOptions> = Object.freeze({
  kind: 'backend',
  type: 'memory',
  options: MEMORY_BACKEND_OPTIONS,
  schemes: Object.freeze(['memory']),
  fromUrl: memoryOptionsFromUrl,
  build: (options: MemoryBackendOptions) => new MemoryBackend(options),
});

// `memory://?maxSize=10000&sweepInterval=5s`: numbers read as numbers, the duration left as text.
function memoryOptionsFromUrl({ base, params, cacheParams }: BackendUrl): Record<string, unknown> {
  if (!/^memory:\/\/\/?$/i.test(base))
    throw new ConfigError(`a memory: URL has no host or path; got "${base}"`, { path: 'url' });
  const options: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (!URL_PARAMS.includes(name)) {
      const known = [...URL_PARAMS, ...cacheParams];
      const guess = didYouMean(name, known);
      throw new ConfigError(
        `unknown memory URL parameter "${name}"; ${guess === undefined ? `known: ${known.join(', ')}` : `did you mean "${guess}"?`}`,
        { path: `url.${name}` },
      );
    }
    options[name] = name === 'sweepInterval' ? value : numberOf(value, `url.${name}`);
  }
  return options;
}

function numberOf(value: string, path: string): number {
  const number = value === 'Infinity' ? Infinity : Number(value);
  if (value.trim() === '' || Number.isNaN(number))
    throw new ConfigError(`expected a number; got "${value}"`, { path });
  return number;
}
