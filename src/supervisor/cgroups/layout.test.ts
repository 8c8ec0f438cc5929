import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLayout, parseMountinfo, parseProcCgroup } from './layout.ts';

// This machine kind: v1 controllers, each in its own hierarchy, beside an empty cgroup2 mount.
const hybridMounts = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const hybridSelf = `9:name=systemd:/
8:pids:/
6:freezer:/
4:memory:/process_api/50d2fa77e68ed4f5b704d7de400e3c2d
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

test('the hybrid layout of this machine kind is v1, the host cgroup read per hierarchy', () => {
  const layout = detectLayout({ mountinfo: hybridMounts, procSelfCgroup: hybridSelf, v2ControllersAt: () => '' });
  assert.equal(layout.kind, 'v1');
  if (layout.kind !== 'v1') return;
  assert.deepEqual(layout.controllers.memory, { mount: '/sys/fs/cgroup/memory', hostPath: '/process_api/50d2fa77e68ed4f5b704d7de400e3c2d', hostDir: '/sys/fs/cgroup/memory/process_api/50d2fa77e68ed4f5b704d7de400e3c2d' });
  assert.deepEqual(layout.controllers.cpu, { mount: '/sys/fs/cgroup/cpu', hostPath: '/', hostDir: '/sys/fs/cgroup/cpu' });
  assert.equal(layout.controllers.freezer.hostDir, '/sys/fs/cgroup/freezer');
});

test('a unified mount that offers cpu, memory and pids is v2, below the service cgroup systemd gave the host', () => {
  const mountinfo = '25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
  const asked: string[] = [];
  const layout = detectLayout({
    mountinfo,
    procSelfCgroup: '0::/system.slice/paddock.service\n',
    v2ControllersAt: (dir) => (asked.push(dir), 'cpuset cpu io memory hugetlb pids rdma misc'),
  });
  assert.deepEqual(layout, { kind: 'v2', mount: '/sys/fs/cgroup', hostDir: '/sys/fs/cgroup/system.slice/paddock.service', hostPath: '/system.slice/paddock.service' });
  assert.deepEqual(asked, ['/sys/fs/cgroup/system.slice/paddock.service']);
});

test('a unified mount without the controllers, and no v1 hierarchy, is no layout, and says which are missing', () => {
  const layout = detectLayout({ mountinfo: '25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', procSelfCgroup: '0::/user.slice\n', v2ControllersAt: () => 'memory pids' });
  assert.equal(layout.kind, 'none');
  assert.match(layout.kind === 'none' ? layout.reason : '', /does not offer cpu, memory, pids.*cpu, cpuacct, memory, freezer, pids/);
  const bare = detectLayout({ mountinfo: '22 1 0:5 / /proc rw - proc proc rw\n', procSelfCgroup: '', v2ControllersAt: () => null });
  assert.deepEqual(bare, { kind: 'none', reason: 'no cgroup hierarchy is mounted' });
});

test('co-mounted v1 controllers share one folder, and a container\'s mount root is taken off the path', () => {
  const mountinfo = `40 30 0:40 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct
41 30 0:41 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
42 30 0:42 /docker/abc /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer
43 30 0:43 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
`;
  const self = '5:pids:/docker/abc\n4:freezer:/docker/abc\n3:memory:/docker/abc/inner\n2:cpu,cpuacct:/docker/abc\n0::/\n';
  const layout = detectLayout({ mountinfo, procSelfCgroup: self, v2ControllersAt: () => null });
  assert.equal(layout.kind, 'v1');
  if (layout.kind !== 'v1') return;
  assert.equal(layout.controllers.cpu.hostDir, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(layout.controllers.cpuacct.hostDir, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(layout.controllers.memory.hostDir, '/sys/fs/cgroup/memory/inner');
});

test('the parsers read escaped mount points and every controller of a line', () => {
  assert.equal(parseMountinfo('1 2 0:1 / /mnt/a\\040b rw - cgroup cgroup rw,pids\n')[0].point, '/mnt/a b');
  const own = parseProcCgroup('2:cpu,cpuacct:/x\n0::/y\n');
  assert.equal(own.v1.get('cpuacct'), '/x');
  assert.equal(own.v2, '/y');
});
