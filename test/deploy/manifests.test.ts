/**
 * deploy/: every Kubernetes manifest validates against the API's schemas (kubernetes-models,
 * offline), every `spillway` command line in the manifests and the compose file parses
 * with the CLI's own option tables (so a renamed flag breaks this test, not a cluster),
 * their queries plan against TPC-H, and the Dockerfile copies what the build needs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseArgs } from '../../src/cli/args.js';
import { DATAGEN_OPTIONS } from '../../src/cli/datagen_command.js';
import { SQL_OPTIONS } from '../../src/cli/sql_command.js';
import { WORKER_OPTIONS } from '../../src/cli/worker_command.js';
import { parseSize } from '../../src/common/config.js';
import { parseWorkersFlag } from '../../src/scheduler/distributed_executor.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, REPO_ROOT, TPCH_SF001 } from '../helpers/paths.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const K8S = join(DEPLOY, 'k8s');

type Manifest = { apiVersion: string; kind: string; metadata?: { name?: string }; [k: string]: unknown };

const MODELS: Record<string, (m: Manifest) => { validate(): void }> = {
  'v1/Service': (m) => new Service(m as never),
  'v1/Secret': (m) => new Secret(m as never),
  'apps/v1/Deployment': (m) => new Deployment(m as never),
  'batch/v1/Job': (m) => new Job(m as never),
};

function manifests(): { file: string; doc: Manifest }[] {
  const out: { file: string; doc: Manifest }[] = [];
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      expect(d.errors, file).toEqual([]);
      out.push({ file, doc: d.toJS() as Manifest });
    }
  }
  return out;
}

function validate(doc: Manifest): void {
  const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  model(doc).validate();
}

/** A spillway command line (after the program name): parsed as the CLI would, values checked. */
function checkCommand(args: readonly string[]): { command: string; sql?: string } {
  const [command, ...rest] = args;
  const spec = command === 'worker' ? WORKER_OPTIONS : command === 'sql' ? SQL_OPTIONS : command === 'datagen' ? DATAGEN_OPTIONS : null;
  if (spec === null) throw new Error(`unknown spillway command "${command}"`);
  const parsed = parseArgs(rest, spec);
  for (const w of parsed.flags.get('workers') ?? []) parseWorkersFlag(w);
  for (const m of parsed.flags.get('memory-limit') ?? []) parseSize(m, 'memory-limit');
  return command === 'sql' ? { command, sql: parsed.positionals.join(' ') } : { command };
}

function containers(doc: Manifest): { args?: string[] }[] {
  const pod = (doc as unknown as IDeployment).spec?.template?.spec;
  return pod?.containers ?? [];
}

describe('Kubernetes manifests', () => {
  const docs = manifests();

  it('hold the kinds the deployment needs', () => {
    const kinds = docs.map((d) => `${d.doc.kind}/${d.doc.metadata?.name}`).sort();
    expect(kinds).toEqual(['Deployment/spillway-worker', 'Job/spillway-query', 'Secret/spillway-s3', 'Secret/spillway-token', 'Service/spillway-workers']);
  });

  it('validate against the Kubernetes API schemas', () => {
    for (const { file, doc } of docs) expect(() => validate(doc), `${file}: ${doc.kind}`).not.toThrow();
  });

  it('the validator rejects broken manifests', () => {
    const deployment = docs.find((d) => d.doc.kind === 'Deployment')!.doc;
    const broken = structuredClone(deployment) as Manifest & { spec: { replicas: unknown; template: { spec: { containers: { readinessProbe: unknown }[] } } } };
    broken.spec.replicas = 'three';
    expect(() => validate(broken)).toThrow();
    const badProbe = structuredClone(deployment) as typeof broken;
    badProbe.spec.template.spec.containers[0]!.readinessProbe = { grpc: { port: 'grpc-port-name' } };
    expect(() => validate(badProbe)).toThrow();
  });

  it('the headless Service selects the worker pods and names their port', () => {
    const service = docs.find((d) => d.doc.kind === 'Service')!.doc as unknown as Service;
    const deployment = docs.find((d) => d.doc.kind === 'Deployment')!.doc as unknown as IDeployment;
    expect(service.spec?.clusterIP).toBe('None');
    const labels = deployment.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(service.spec!.selector!)) expect(labels[k]).toBe(v);
    const port = service.spec!.ports![0]!;
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container.ports!.some((p) => p.name === port.targetPort && p.containerPort === port.port)).toBe(true);
    expect(container.readinessProbe?.grpc?.port).toBe(port.port);
    expect(container.livenessProbe?.grpc?.port).toBe(port.port);
    expect(deployment.spec!.template.spec!.volumes!.find((v) => v.name === 'spill')?.emptyDir).toBeDefined();
  });

  it('run spillway command lines the CLI accepts, with the workers found through the Service', () => {
    const worker = containers(docs.find((d) => d.doc.kind === 'Deployment')!.doc)[0]!;
    expect(checkCommand(worker.args!).command).toBe('worker');
    const job = containers(docs.find((d) => d.doc.kind === 'Job')!.doc)[0]!;
    expect(job.args).toContain('--workers=dns:spillway-workers:7070');
    expect(checkCommand(job.args!).command).toBe('sql');
  });

  it('the kustomization lists files that exist', () => {
    const k = parseYaml(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    for (const r of k.resources) expect(existsSync(join(K8S, r)), r).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command: string[]; image?: string; build?: { context: string; dockerfile: string }; depends_on?: Record<string, unknown> }>;
  };

  it('runs spillway command lines the CLI accepts; the coordinator finds the workers through DNS', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(() => checkCommand(s.command), name).not.toThrow();
      for (const dep of Object.keys(s.depends_on ?? {})) expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
    }
    expect(compose.services.coordinator!.command).toContain('dns:worker:7070');
    const build = compose.services.datagen!.build!;
    expect(existsSync(join(DEPLOY, build.context, build.dockerfile))).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('copies what the build compiles and runs the CLI', () => {
    const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const include = (JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] }).include;
    for (const pattern of include) {
      const top = pattern.split('/')[0]!;
      expect(text, `COPY ${top}`).toMatch(new RegExp(`^COPY ${top} `, 'm'));
    }
    expect(text).toMatch(/^ENTRYPOINT \["node", "bin\/spillway\.js"\]/m);
    expect(text).toMatch(/^USER node$/m);
  });
});

describe.skipIf(!HAVE_SHARED)('the queries of the examples', () => {
  it('plan against TPC-H', async () => {
    const job = manifests().find((d) => d.doc.kind === 'Job')!;
    const compose = parseYaml(readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command: string[] }> };
    const session = await Session.create({ tables: TPCH_SF001 });
    try {
      for (const args of [containers(job.doc)[0]!.args!, compose.services.coordinator!.command]) {
        const { sql } = checkCommand(args);
        const res = await session.sql(sql!);
        expect(res.numRows).toBeGreaterThan(0);
      }
    } finally {
      await session.close();
    }
  });
});
