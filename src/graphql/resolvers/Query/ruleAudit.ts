import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { ruleBook } from '../rules.service';

export const ruleAudit: QueryResolvers['ruleAudit'] = (_parent, { ruleId, first }, { services }) => ruleBook(services).auditTrail(ruleId ?? null, first ?? 50);
