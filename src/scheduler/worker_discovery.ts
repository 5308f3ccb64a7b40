/**
 * Workers found through DNS: `--workers dns:NAME:PORT` stands for every address NAME
 * resolves to, each at PORT. A Kubernetes headless Service (clusterIP: None) resolves to
 * one address per ready worker pod, so scaling the worker Deployment changes the set.
 *
 * The set is resolved when the workers are first contacted and again before each query
 * that finds no other query running (distributed_executor.ts): when it changed, the
 * executor starts over with the new set. A name that stops resolving keeps the last set.
 */
import { promises as dnsPromises } from 'node:dns';
import { SpillwayError } from '../common/errors.js';

export const DNS_PREFIX = 'dns:';

/** The addresses a host name resolves to (IPv4 and IPv6 literals). */
export type HostResolver = (host: string) => Promise<string[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, search domains, then DNS). */
export const systemResolver: HostResolver = async (host) =>
  (await dnsPromises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** A resolver asking the DNS servers `servers` ("ip" or "ip:port") for A and AAAA records. */
export function dnsServerResolver(servers: readonly string[]): HostResolver {
  const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([...servers]);
  return async (host) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (found.length === 0) throw (v4.status === 'rejected' ? v4.reason : new Error(`no A or AAAA record for ${host}`));
    return found;
  };
}

export function isDnsEntry(entry: string): boolean {
  return entry.startsWith(DNS_PREFIX);
}

interface DnsEntry { entry: string; host: string; port: number }

/** `dns:NAME:PORT` → its parts, or one config error naming the entry. */
export function parseDnsEntry(entry: string): DnsEntry {
  const rest = entry.slice(DNS_PREFIX.length);
  const colon = rest.lastIndexOf(':');
  const host = colon > 0 ? rest.slice(0, colon) : '';
  const port = Number(rest.slice(colon + 1));
  if (!/^[A-Za-z0-9.-]+$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SpillwayError('config', `--workers: "${entry}" is not a DNS worker entry; expected dns:NAME:PORT, e.g. dns:spillway-workers:7070`);
  }
  return { entry, host, port };
}

function addressOf(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Worker entries (host:port and dns:NAME:PORT) resolved to a sorted set of addresses. */
export class WorkerDiscovery {
  private readonly fixed: string[];
  private readonly names: DnsEntry[];
  private last: string[] | null = null;

  constructor(entries: readonly string[], private readonly resolve: HostResolver = systemResolver) {
    this.fixed = entries.filter((e) => !isDnsEntry(e));
    this.names = entries.filter(isDnsEntry).map(parseDnsEntry);
  }

  /** Resolve every name now; one error naming the entry that does not resolve. */
  async addresses(): Promise<string[]> {
    const found = new Set(this.fixed);
    for (const n of this.names) {
      let ips: string[];
      try {
        ips = await this.resolve(n.host);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new SpillwayError('remote', `--workers ${n.entry}: ${n.host} does not resolve (${code})`);
      }
      if (ips.length === 0) throw new SpillwayError('remote', `--workers ${n.entry}: ${n.host} resolves to no address`);
      for (const ip of ips) found.add(addressOf(ip, n.port));
    }
    this.last = [...found].sort();
    return this.last;
  }

  /** Whether the names now resolve to another set than last time (false when they fail to resolve). */
  async changed(): Promise<boolean> {
    const before = this.last;
    try {
      const now = await this.addresses();
      return before === null || before.join(',') !== now.join(',');
    } catch {
      this.last = before;
      return false;
    }
  }
}
