export { startBroker, type BrokerOptions, type Principal, type RunningBroker } from './broker.js'
