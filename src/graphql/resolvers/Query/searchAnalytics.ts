import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { searchAnalyticsService } from '../../../evaluation/search-analytics';

export const searchAnalytics: QueryResolvers['searchAnalytics'] = (_parent, { from, to, topQueries, queryOffset, dayLimit, dayOffset }, { services }) =>
  searchAnalyticsService(services.analytics).analytics({ from, to, topQueries, queryOffset, dayLimit, dayOffset });
