// Config changes a caller asks for explicitly, on top of the manifests (--set, integration tests' shorter down-after).

export interface ConfigOverrides {
  /** sentinel.conf per-master settings by name, e.g. { 'down-after-milliseconds': '1500' }. */
  sentinel?: Record<string, string>;
  /** redis.conf directives by name. */
  redis?: Record<string, string>;
}
