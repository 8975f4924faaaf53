/**
 * The same stacks, synthesized the way `cdktf init --template=typescript` sets a project up:
 * the app runs under ts-node (type-checking as it goes) and the provider is imported through
 * its package barrel, which loads every binding of hashicorp/aws. Used only by bench/synth.ts.
 */
import * as aws from '@cdktf/provider-aws';
import * as archive from '@cdktf/provider-archive';

// The template imports the barrel for its classes; touch it so nothing is elided.
if (typeof aws.provider.AwsProvider !== 'function' || typeof archive.provider.ArchiveProvider !== 'function') {
  throw new Error('provider barrel did not load');
}

import '../../main';
