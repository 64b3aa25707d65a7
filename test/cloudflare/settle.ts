/** Shared by the Cloudflare suites: polls an instance's `status()` until it is one of `wanted`. */
export async function settle(instance: WorkflowInstance, wanted: InstanceStatus["status"][], timeoutMs = 10_000): Promise<InstanceStatus> {
  const deadline = Date.now() + timeoutMs;
  let status = await instance.status();
  while (!wanted.includes(status.status)) {
    if (Date.now() > deadline) throw new Error(`instance ${instance.id} is ${status.status}, not ${wanted.join("/")}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = await instance.status();
  }
  return status;
}
