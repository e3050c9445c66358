/**
 * The resolver map: one file per root field, plus type resolvers where a schema type differs from
 * its domain model (see the codegen mappers). Every root field is guarded by the role it needs
 * (src/auth/access-policy.ts), once, here; then every field's string arguments are checked against
 * their length limits (src/graphql/argument-limits.ts); then expensive calls draw on the caller's
 * rate limits (src/graphql/rate-limit.guard.ts).
 */
import type { Resolvers } from '../__generated__/resolvers-types';
import { guardRootResolvers } from '../access.guard';
import { limitStringArguments } from '../argument-limits';
import { rateLimitRootResolvers } from '../rate-limit.guard';
import { EvaluationJob } from './EvaluationJob';
import { Explanation } from './Explanation';
import { deleteProducts } from './Mutation/deleteProducts';
import { recordSearchEvents } from './Mutation/recordSearchEvents';
import { upsertProducts } from './Mutation/upsertProducts';
import { evaluate } from './Mutation/evaluate';
import { cancelEvaluation } from './Mutation/cancelEvaluation';
import { reloadModels } from './Mutation/reloadModels';
import { evaluationJob } from './Query/evaluationJob';
import { evaluationRun } from './Query/evaluationRun';
import { evaluationRuns } from './Query/evaluationRuns';
import { searchAnalytics } from './Query/searchAnalytics';
import { Product } from './Product';
import { IngestStatus, ingestStatus } from './Query/ingestStatus';
import { product } from './Query/product';
import { products } from './Query/products';
import { search } from './Query/search';
import { serviceInfo } from './Query/serviceInfo';
import { similarProducts } from './Query/similarProducts';
import { completeTheLook } from './Query/completeTheLook';
import { PriceConstraint, QueryUnderstanding, RecognisedAttribute } from './QueryUnderstanding';
import { SearchConnection } from './SearchConnection';
import { SearchEdge } from './SearchEdge';
import { FiredRule, Rule, RuleActions, RuleConditions, RuleEffect, RuleFilter, RuleQueryCondition, RuleRelease } from './Rule';
import { rules } from './Query/rules';
import { predictCategory } from './Query/predictCategory';
import { CategoryPrediction } from './CategoryPrediction';
import { rule } from './Query/rule';
import { ruleReleases } from './Query/ruleReleases';
import { ruleRelease } from './Query/ruleRelease';
import { ruleAudit } from './Query/ruleAudit';
import { previewRule } from './Query/previewRule';
import { upsertRule } from './Mutation/upsertRule';
import { deleteRule } from './Mutation/deleteRule';
import { publishRules } from './Mutation/publishRules';
import { rollbackRules } from './Mutation/rollbackRules';

export const resolvers: Resolvers = guardRootResolvers<Resolvers>(limitStringArguments(rateLimitRootResolvers({
  Query: {
    serviceInfo,
    ingestStatus,
    product,
    products,
    similarProducts,
    completeTheLook,
    search,
    evaluationRuns,
    evaluationRun,
    evaluationJob,
    searchAnalytics,
    rules,
    rule,
    ruleReleases,
    ruleRelease,
    ruleAudit,
    previewRule,
    predictCategory,
  },
  Mutation: {
    upsertProducts,
    deleteProducts,
    recordSearchEvents,
    evaluate,
    cancelEvaluation,
    reloadModels,
    upsertRule,
    deleteRule,
    publishRules,
    rollbackRules,
  },
  EvaluationJob,
  IngestStatus,
  Product,
  SearchConnection,
  SearchEdge,
  Explanation,
  QueryUnderstanding,
  RecognisedAttribute,
  PriceConstraint,
  Rule,
  RuleConditions,
  RuleQueryCondition,
  RuleActions,
  RuleFilter,
  RuleRelease,
  FiredRule,
  RuleEffect,
  CategoryPrediction,
})));
