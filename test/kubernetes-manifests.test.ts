/**
 * The Kubernetes manifests of examples/kubernetes/ (docs/kubernetes.md), read as Kubernetes reads
 * them and checked against the Paddock configuration each pod runs: the probes and the scrape
 * name routes the health listener really serves, on its port; the preStop hook drains; the grace
 * period covers the drain and the shutdown after it; Services and the Ingress lead to the pods
 * whose readiness is the pool that serves the path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../src/config/load.ts';
import type { HostConfig } from '../src/config/types.ts';
import { healthListenerRoutes } from '../src/admin/health-server.ts';
import { Router } from '../src/front-door/router.ts';
import { repoRoot } from './helpers/test-host.ts';

type Obj = Record<string, any>;

const dir = join(repoRoot, 'examples/kubernetes');
const objects: Obj[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f): Obj[] => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${f} is valid YAML`);
    return { ...(d.toJS() as Obj), file: f };
  }))
  .filter((o) => o.kind);

const ofKind = (kind: string): Obj[] => objects.filter((o) => o.kind === kind);

/** The Paddock config a container runs: `--config PATH`, PATH inside a ConfigMap volume. */
function configOf(pod: Obj, container: Obj): { path: string; config: HostConfig } {
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  const path = argv[argv.indexOf('--config') + 1];
  assert.ok(argv.includes('--config') && path, `${container.name} names its config: ${argv.join(' ')}`);
  const mount = (container.volumeMounts as Obj[]).find((m) => path.startsWith(m.mountPath + '/'));
  assert.ok(mount, `${path} is inside a mounted volume`);
  const volume = (pod.volumes as Obj[]).find((v) => v.name === mount.name);
  const map = ofKind('ConfigMap').find((c) => c.metadata.name === volume?.configMap?.name);
  assert.ok(map, `volume ${mount.name} is a ConfigMap of these manifests`);
  const key = path.slice(mount.mountPath.length + 1);
  const text = map.data[key];
  assert.equal(typeof text, 'string', `ConfigMap ${map.metadata.name} has key ${key}`);
  const r = parseConfig(text, path);
  assert.ok(r.ok, `${key} is a valid Paddock config: ${JSON.stringify(!r.ok && r.errors)}`);
  return { path, config: r.config };
}

/** A container port by name or number. */
function portOf(container: Obj, port: string | number): number {
  if (typeof port === 'number') return port;
  const p = (container.ports as Obj[]).find((x) => x.name === port);
  assert.ok(p, `container ${container.name} has a port named ${port}`);
  return p.containerPort;
}

/** Whether the health listener of `config` answers GET `path`. */
function served(config: HostConfig, path: string): boolean {
  return healthListenerRoutes(config.health.metrics).some((r) => r.method === 'GET' && r.pattern.test(path));
}

const deployments = ofKind('Deployment');

test('the manifests hold Deployments, a Service for each, a ConfigMap and an Ingress', () => {
  assert.ok(deployments.length >= 1);
  assert.equal(ofKind('Service').length, deployments.length);
  assert.equal(ofKind('ConfigMap').length, 1);
  assert.equal(ofKind('Ingress').length, 1);
});

for (const d of deployments) {
  const pod = d.spec.template.spec as Obj;
  const container = (pod.containers as Obj[]).find((c) => (c.command ?? []).includes('run'));

  test(`${d.metadata.name}: readiness names a pool of its config, liveness the host, both on the health port`, () => {
    assert.ok(container, 'a container runs `paddock run`');
    const { config } = configOf(pod, container);
    const healthPort = config.health.listen?.port;
    assert.ok(healthPort, 'the config serves the checks on health.listen');
    const ready = container.readinessProbe.httpGet;
    const pool = /^\/health\/pools\/([^/]+)$/.exec(ready.path)?.[1];
    assert.ok(pool && Object.hasOwn(config.pools, pool), `readiness ${ready.path} names a pool of the config (${Object.keys(config.pools).join(', ')})`);
    assert.ok(served(config, ready.path), `${ready.path} is served`);
    assert.equal(portOf(container, ready.port), healthPort);
    const live = container.livenessProbe.httpGet;
    assert.equal(live.path, '/health');
    assert.ok(served(config, live.path));
    assert.equal(portOf(container, live.port), healthPort);
    // Liveness must not restart a pod for a pool's failure: it gives up far later than readiness.
    assert.ok(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold > container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold);
  });

  test(`${d.metadata.name}: preStop drains, and the grace period covers the drain and the shutdown`, () => {
    const { path, config } = configOf(pod, container!);
    const hook: string[] = container!.lifecycle.preStop.exec.command;
    assert.deepEqual(hook.slice(0, 3), ['paddock', 'drain', '--wait']);
    assert.equal(hook[hook.indexOf('--config') + 1], path, 'the hook drains the host the container runs');
    const shutdown = Math.max(...Object.values(config.pools).map((p) => p.processModel.shutdownTimeLimit));
    const graceMs = pod.terminationGracePeriodSeconds * 1000;
    assert.ok(graceMs > shutdown, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} s is above shutdownTimeLimit ${shutdown} ms`);
    assert.ok(graceMs > config.drain.timeLimit + shutdown, `…and above drain.timeLimit ${config.drain.timeLimit} ms + shutdownTimeLimit ${shutdown} ms`);
    // The drain must outlast the readiness probe's verdict, or the host leaves while still in the Service.
    const probe = container!.readinessProbe;
    assert.ok(config.drain.idleTime > probe.periodSeconds * probe.failureThreshold * 1000);
  });

  test(`${d.metadata.name}: Prometheus scrapes /metrics where the config serves it`, () => {
    const { config } = configOf(pod, container!);
    const a = d.spec.template.metadata.annotations as Obj;
    assert.equal(a['prometheus.io/scrape'], 'true');
    assert.equal(Number(a['prometheus.io/port']), config.health.listen?.port);
    assert.ok(served(config, a['prometheus.io/path']), `${a['prometheus.io/path']} is served on the health port (health.metrics)`);
  });

  test(`${d.metadata.name}: its Service selects its pods and sends to the front door's port`, () => {
    const { config } = configOf(pod, container!);
    const labels = d.spec.template.metadata.labels as Obj;
    assert.deepEqual(d.spec.selector.matchLabels, labels);
    const svc = ofKind('Service').find((s) => Object.entries(s.spec.selector as Obj).every(([k, v]) => labels[k] === v));
    assert.ok(svc, `a Service selects ${d.metadata.name}'s pods`);
    assert.ok((svc.spec.ports as Obj[]).some((p) => portOf(container!, p.targetPort) === config.listen[0].port), 'the Service reaches listen');
  });
}

test('every Ingress path leads to pods whose readiness is the pool Paddock routes that path to', () => {
  for (const ing of ofKind('Ingress')) {
    for (const rule of ing.spec.rules as Obj[]) {
      for (const p of rule.http.paths as Obj[]) {
        const svc = ofKind('Service').find((s) => s.metadata.name === p.backend.service.name);
        assert.ok(svc, `Service ${p.backend.service.name} exists`);
        assert.ok((svc.spec.ports as Obj[]).some((x) => x.name === p.backend.service.port.name), 'and has the port');
        const d = deployments.find((x) => Object.entries(svc.spec.selector as Obj).every(([k, v]) => x.spec.template.metadata.labels[k] === v));
        const pod = d!.spec.template.spec;
        const container = (pod.containers as Obj[]).find((c) => (c.command ?? []).includes('run'))!;
        const { config } = configOf(pod, container);
        const readyPool = /^\/health\/pools\/(.+)$/.exec(container.readinessProbe.httpGet.path)![1];
        const routed = new Router(config.sites).route(rule.host ?? null, p.path);
        assert.equal(routed, readyPool, `${rule.host}${p.path} goes to pool ${routed} in ${d!.metadata.name}, whose readiness is ${readyPool}`);
      }
    }
  }
});
