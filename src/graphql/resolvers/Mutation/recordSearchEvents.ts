import type { MutationResolvers } from '../../__generated__/resolvers-types';

export const recordSearchEvents: MutationResolvers['recordSearchEvents'] = (_parent, { events }, { services }) => ({
  recorded: services.events.recordEvents(events),
});
