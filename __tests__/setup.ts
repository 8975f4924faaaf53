// cdktf's jest matchers (toHaveResourceWithProperties, toBeValidTerraform, ...).
import { Testing } from 'cdktf';
import { removeSynthScratch } from './support/synth';

Testing.setupJest();
afterAll(removeSynthScratch);
