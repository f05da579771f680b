export { startBroker, type BrokerOptions, type Principal, type RateLimit, type RefusedWhat, type RunningBroker, type TlsListenerOptions } from './broker.js'
export { createTopicAcl, type TopicAcl, type TopicAclOptions } from './acl.js'
export { defaults as brokerDefaults } from './options.js'
