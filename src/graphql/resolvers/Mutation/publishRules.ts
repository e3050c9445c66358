import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { actor, ruleBook } from '../rules.service';

export const publishRules: MutationResolvers['publishRules'] = (_parent, { note, expectedRelease }, { services, access }) =>
  ruleBook(services).publish(actor(access), note ?? '', expectedRelease);
