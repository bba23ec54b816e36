// Service Bus: one queue per home region (a hot region cannot starve the others' evaluators) and the shared
// reply queue. No sessions: messages are independent and idempotent, and sessions would cap a region's
// evaluation at one consumer per session.
param location string
param name string
@allowed(['Standard', 'Premium'])
param sku string
param capacity int
@description('Objects { name, ttl } (ttl: ISO 8601 duration).')
param queues array
param maxDeliveryCount int
@description('The largest message the code sends (KB); Premium queues are set to it, Standard is fixed at 256 KB.')
param maxMessageSizeInKilobytes int

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  sku: {
    name: sku
    tier: sku
    capacity: sku == 'Premium' ? capacity : null
  }
  properties: {
    minimumTlsVersion: '1.2'
    // Identity only: the Functions host connects with ServiceBusConnection__fullyQualifiedNamespace.
    disableLocalAuth: true
    premiumMessagingPartitions: sku == 'Premium' ? 1 : null
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [for q in queues: {
  parent: namespace
  name: q.name
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: q.ttl
    requiresSession: false
    requiresDuplicateDetection: false
    // Standard: 16 partitions per queue lift its throughput ceiling; Premium scales by messaging units instead.
    enablePartitioning: sku == 'Standard'
    maxSizeInMegabytes: sku == 'Standard' ? 5120 : 81920
    // Standard is 256 KB a message, fixed; Premium takes up to 100 MB when told. The code keeps every message under 192 KB
    // (claim check), so 256 is enough on both tiers (tests/Gateway.Deploy.Tests holds the two together).
    maxMessageSizeInKilobytes: sku == 'Premium' ? maxMessageSizeInKilobytes : null
  }
}]

output name string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
