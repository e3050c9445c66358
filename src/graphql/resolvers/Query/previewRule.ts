import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { toRuleDefinition } from '../../mappers/rule-input.mapper';
import { rulePreview } from '../rules.service';

export const previewRule: QueryResolvers['previewRule'] = (_parent, { rule, queries, context, depth }, { services }) =>
  rulePreview(services).preview({ rule: toRuleDefinition(rule), queries, context, depth });
