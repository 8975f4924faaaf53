// cdktf's jest matchers (toHaveResourceWithProperties, toBeValidTerraform, ...).
import { Testing } from 'cdktf';
import { removeSynthScratch } from './support/synth';

Testing.setupJest();
// The AWS SDK's notice that its 2027 releases need Node 22 (bin/iam-http-api.js silences it the same way).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
afterAll(removeSynthScratch);
