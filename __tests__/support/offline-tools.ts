/**
 * Tests that need the machine image's terraform, provider mirror and moto_server skip with a
 * printed reason where they are missing, and fail instead when
 * IAM_HTTP_API_REQUIRE_OFFLINE_TOOLS is set (as .ci/run does).
 */
import { whichMissing } from './moto-server';

/** `describe`, or `describe.skip` with the reason printed, or a failing suite in CI. */
export function describeWithOfflineTools(name: string, body: () => void): void {
  const missing = whichMissing();
  if (!missing) {
    describe(name, body);
    return;
  }
  if (process.env.IAM_HTTP_API_REQUIRE_OFFLINE_TOOLS) {
    describe(name, () => {
      it('has terraform, the provider mirror and moto_server (IAM_HTTP_API_REQUIRE_OFFLINE_TOOLS is set)', () => {
        throw new Error(`cannot run: ${missing}`);
      });
    });
    return;
  }
  console.warn(`Skipping "${name}": ${missing}. Set IAM_HTTP_API_REQUIRE_OFFLINE_TOOLS=1 to make this a failure.`);
  describe.skip(name, body);
}
