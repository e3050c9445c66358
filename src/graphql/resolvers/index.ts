/**
 * The resolver map: one file per root field, plus type resolvers where a schema type differs from
 * its domain model (see the codegen mappers).
 */
import type { Resolvers } from '../__generated__/resolvers-types';
import { Explanation } from './Explanation';
import { deleteProducts } from './Mutation/deleteProducts';
import { recordSearchEvents } from './Mutation/recordSearchEvents';
import { upsertProducts } from './Mutation/upsertProducts';
import { evaluate } from './Mutation/evaluate';
import { evaluationRun } from './Query/evaluationRun';
import { evaluationRuns } from './Query/evaluationRuns';
import { searchAnalytics } from './Query/searchAnalytics';
import { Product } from './Product';
import { ingestStatus } from './Query/ingestStatus';
import { product } from './Query/product';
import { products } from './Query/products';
import { search } from './Query/search';
import { serviceInfo } from './Query/serviceInfo';
import { similarProducts } from './Query/similarProducts';
import { completeTheLook } from './Query/completeTheLook';
import { PriceConstraint, QueryUnderstanding, RecognisedAttribute } from './QueryUnderstanding';
import { SearchConnection } from './SearchConnection';
import { SearchEdge } from './SearchEdge';

export const resolvers: Resolvers = {
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
    searchAnalytics,
  },
  Mutation: {
    upsertProducts,
    deleteProducts,
    recordSearchEvents,
    evaluate,
  },
  Product,
  SearchConnection,
  SearchEdge,
  Explanation,
  QueryUnderstanding,
  RecognisedAttribute,
  PriceConstraint,
};
