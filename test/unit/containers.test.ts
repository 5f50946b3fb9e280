// Container ids in cgroup paths (systemd and cgroupfs drivers of containerd, CRI-O, Docker and
// Podman) and the ids resolveContainer accepts.
import { describe, expect, it } from 'vitest';
import { BpfError, containerIdOfCgroup, resolveContainer } from 'bpfscope';

const ID = '5d8fa1c2b3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8';

describe('containerIdOfCgroup', () => {
  it('reads the systemd driver scope of each runtime', () => {
    const slice = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c1d2e3f_4a5b_6c7d_8e9f_0a1b2c3d4e5f.slice';
    expect(containerIdOfCgroup(`${slice}/cri-containerd-${ID}.scope`)).toEqual({ id: ID, runtime: 'containerd' });
    expect(containerIdOfCgroup(`${slice}/crio-${ID}.scope`)).toEqual({ id: ID, runtime: 'cri-o' });
    expect(containerIdOfCgroup(`/system.slice/docker-${ID}.scope`)).toEqual({ id: ID, runtime: 'docker' });
    expect(containerIdOfCgroup(`/machine.slice/libpod-${ID}.scope`)).toEqual({ id: ID, runtime: 'podman' });
    // Processes in a sub-cgroup of the container's scope still belong to it.
    expect(containerIdOfCgroup(`${slice}/cri-containerd-${ID}.scope/init`)).toEqual({ id: ID, runtime: 'containerd' });
  });

  it('reads the cgroupfs driver: a bare id, Docker when its parent is /docker; CRI-O and Podman name theirs', () => {
    expect(containerIdOfCgroup(`/kubepods/besteffort/pod0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/${ID}`)).toEqual({ id: ID });
    expect(containerIdOfCgroup(`/docker/${ID}`)).toEqual({ id: ID, runtime: 'docker' });
    // CRI-O's ContainerCgroupPath joins the parent with "crio-" + the id, without .scope.
    expect(containerIdOfCgroup(`/kubepods/burstable/pod0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/crio-${ID}`)).toEqual({ id: ID, runtime: 'cri-o' });
    expect(containerIdOfCgroup(`/libpod_parent/libpod-${ID}`)).toEqual({ id: ID, runtime: 'podman' });
    expect(containerIdOfCgroup(`/kubepods/burstable/pod0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/crio-conmon-${ID}`)).toBeUndefined();
  });

  it('refuses what is not a path with a TypeError that says so', () => {
    // It was "path.split is not a function".
    expect(() => containerIdOfCgroup(5 as never)).toThrow(new TypeError('containerIdOfCgroup takes a cgroup path string, got number 5'));
    expect(() => containerIdOfCgroup(undefined as never)).toThrow(new TypeError('containerIdOfCgroup takes a cgroup path string, got undefined'));
  });

  it('finds nothing in paths that name no container', () => {
    expect(containerIdOfCgroup(`/kubepods.slice/crio-conmon-${ID}.scope`)).toBeUndefined(); // CRI-O's monitor
    expect(containerIdOfCgroup(`/system.slice/unknown-${ID}.scope`)).toBeUndefined();
    expect(containerIdOfCgroup(`/docker/${ID.slice(1)}`)).toBeUndefined(); // 63 digits
    expect(containerIdOfCgroup(`/docker/${ID.toUpperCase()}`)).toBeUndefined();
    expect(containerIdOfCgroup('/system.slice/containerd.service')).toBeUndefined();
    expect(containerIdOfCgroup('/')).toBeUndefined();
  });
});

describe('resolveContainer ids', () => {
  it('refuses what is not an id before reading /proc, and reports an id no process has as ENOENT', async () => {
    await expect(resolveContainer(42 as never)).rejects.toThrow(new TypeError('container id must be a string, got number 42'));
    await expect(resolveContainer('abc')).rejects.toThrow(RangeError); // too short to be a prefix
    await expect(resolveContainer(`${ID}0`)).rejects.toThrow(RangeError); // 65 digits
    await expect(resolveContainer('containerd://xyz0')).rejects.toThrow(RangeError);
    // A full id in every accepted spelling: no process runs in it here.
    for (const spelled of [ID, ID.toUpperCase(), `containerd://${ID}`, ` cri-o://${ID} `, `docker://${ID}`, `podman://${ID}`]) {
      await expect(resolveContainer(spelled)).rejects.toMatchObject({ code: 'ENOENT', op: 'resolveContainer' });
    }
    await expect(resolveContainer(ID)).rejects.toBeInstanceOf(BpfError);
  });
});
