# Driver: the redis gem (redis-rb 4.x) through Sentinel, Redis.new(url: "redis://<master name>", sentinels:, role: :master), speaking the JSON-lines protocol.
require 'json'
require 'redis'

env = ENV
sentinels = env.fetch('SENTINELS', '').split.map { |a| h, p = a.split(/:(?=\d+\z)/); { host: h, port: Integer(p) } }
password = env['REDIS_PASSWORD'].to_s.empty? ? nil : env['REDIS_PASSWORD']
# Every password this driver has read: masked in everything it prints.
$secrets = [password].compact.select { |s| s.length >= 4 }

# REDIS_PASSWORD_FILE: the application's file of the mounted ACL Secret. redis-rb 4.8 sends the `password:` option's
# to_s in AUTH at each (re)connection (Client#connect, CommandHelper#build_command): an object whose to_s reads the
# file makes every new connection log in with what the Secret holds then.
class SecretFile
  def initialize(path)
    @path = path
  end

  def to_s
    v = File.read(@path).chomp("\n")
    $secrets << v if v.length >= 4 && !$secrets.include?(v)
    v
  end

  def inspect
    "#<SecretFile #{@path}>"
  end
end
password = SecretFile.new(env['REDIS_PASSWORD_FILE']) unless env['REDIS_PASSWORD_FILE'].to_s.empty?
rate = Float(env.fetch('RATE', '50'))
duration = Integer(env.fetch('DURATION_MS', '60000')) / 1000.0
prefix = env.fetch('KEY_PREFIX', 'driver')
timeout_s = Integer(env.fetch('TIMEOUT_MS', '1000')) / 1000.0
max_in_flight = Integer(env.fetch('MAX_IN_FLIGHT', '16'))
out = Mutex.new
emit = lambda do |o|
  line = JSON.generate(o)
  $secrets.each { |s| line = line.gsub(s, '***') } # never print a password
  out.synchronize { $stdout.write(line + "\n"); $stdout.flush }
end
now = -> { Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) }
op = ->(type, key, extra = {}) { { type: type, f: 'write', key: key, ns: now.call }.merge(extra) }

# redis-rb 4.x takes the master name from the URL's host; `name:` is redis-rb 5's spelling and 4.8 ignores it
# silently (it then asks the sentinels for master "127.0.0.1" and reports "No sentinels available.").
# Under the secure profile: rediss:// (TLS to the sentinels too: they are asked with the same options, minus the
# login) with the run's CA and the client certificate in ssl_params, the master as the ACL user.
tls = !env['TLS_CA'].to_s.empty?
login = {}
login[:username] = env['REDIS_USER'] unless env['REDIS_USER'].to_s.empty?
if tls
  require 'openssl'
  ssl_params = { ca_file: env['TLS_CA'] } # a path: OpenSSL loads it into each connection's new SSLContext
  refresh = lambda do
    ssl_params[:cert] = OpenSSL::X509::Certificate.new(File.read(env.fetch('TLS_CERT')))
    ssl_params[:key] = OpenSSL::PKey.read(File.read(env.fetch('TLS_KEY')))
  end
  refresh.call
  login[:ssl_params] = ssl_params
  # redis-rb 4.8 takes the client certificate and key as objects, built once; its connections (to the master and to
  # the sentinels) share this hash, so reading the files into it before each connect presents the mounted ones.
  Redis::Connection::Ruby.singleton_class.prepend(Module.new do
    define_method(:connect) do |config|
      refresh.call if config[:ssl_params].equal?(ssl_params)
      super(config)
    end
  end)
end
redis = Redis.new(url: "#{tls ? 'rediss' : 'redis'}://#{env.fetch('MASTER_NAME', 'mymaster')}", sentinels: sentinels, role: :master, password: password,
                  db: Integer(env.fetch('DB', '0')), **login)
emit.call(hello: { client: 'redis-rb', version: Redis::VERSION, ruby: RUBY_VERSION, api: "Redis.new(url: \"#{tls ? 'rediss' : 'redis'}://MASTER_NAME\", sentinels:, role: :master#{tls ? ', ssl_params:' : ''})" })

stop = false
Signal.trap('TERM') { stop = true }
Thread.new { $stdin.read rescue nil; stop = true }
lock = Mutex.new
pending = {} # key => [deadline, timed_out]
skipped = 0
definite = /\A(READONLY|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF|NOREPLICAS|ERR|LOADING|MASTERDOWN)\b/
start = now.call
deadline = start + duration * 1e9
period = 1e9 / rate
n = 0
until stop || now.call >= deadline
  t = now.call
  lock.synchronize do
    pending.each do |key, p|
      next if p[1] || t < p[0]
      p[1] = true
      emit.call(op.call('info', key, error: "no reply within #{(timeout_s * 1000).round} ms (client timeout)"))
    end
  end
  due = ((t - start) / period).floor + 1
  while n < due
    key = "#{prefix}:#{n}"
    busy = lock.synchronize do
      if pending.size >= max_in_flight
        true
      else
        emit.call(op.call('invoke', key))
        pending[key] = [now.call + timeout_s * 1e9, false]
        false
      end
    end
    if busy
      skipped += due - n
      n = due
      break
    end
    n += 1
    Thread.new(key) do |k|
      begin
        redis.set(k, '1')
        c = redis._client # the address it resolved through Sentinel and is connected to
        res = op.call('ok', k, node: "#{c.host}:#{c.port}")
      rescue StandardError => e
        res = op.call(e.is_a?(Redis::CommandError) && definite.match?(e.message) ? 'fail' : 'info', k, error: "#{e.class}: #{e.message}"[0, 300])
      end
      lock.synchronize do
        p = pending.delete(k)
        if p && p[1]
          emit.call(res.merge(late: true)) if res[:type] == 'ok'
        else
          emit.call(res)
        end
      end
    end
  end
  sleep([[(start + n * period - now.call) / 1e9, 0.02].min, 0].max)
end
drain_end = now.call + timeout_s * 1e9
sleep 0.01 while now.call < drain_end && lock.synchronize { pending.any? { |_, p| !p[1] } }
lock.synchronize do
  pending.each { |key, p| emit.call(op.call('info', key, error: 'no reply before the driver stopped')) unless p[1] }
  emit.call(bye: { skipped: skipped })
end
$stdout.flush
exit!(0)
