// The gateway on Azure: a Linux Elastic Premium Function App running the custom handler, Table Storage,
// Service Bus queues (one per home region + the shared ones), Application Insights, Key Vault, and one
// user-assigned identity with least-privilege roles. docs/deploy.md says how to deploy it; the test
// tests/Gateway.Deploy.Tests compiles this file and checks it names exactly what functions/ and host.json use.
targetScope = 'resourceGroup'

@description('Short environment name (dev, prod); part of every resource name.')
param environment string

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Home regions (pooling-region codes) evaluated here: one queue eval-requests-<code> each, one rule pack packs/<code>.json each.')
param homeRegions array

@description('Elastic Premium SKU (EP1/EP2/EP3).')
@allowed(['EP1', 'EP2', 'EP3'])
param planSku string = 'EP1'

@description('Instances kept warm (no cold start at a hospital counter).')
@minValue(1)
param minimumInstances int = 1

@description('Upper bound of the elastic scale-out.')
@minValue(1)
param maximumInstances int = 20

@description('Service Bus tier: Standard (dev) or Premium (prod: dedicated messaging units, predictable latency).')
@allowed(['Standard', 'Premium'])
param serviceBusSku string = 'Standard'

@description('The largest message the code sends, in KB (Gateway.Messaging.ClaimCheck: bodies over 32 KiB are claim-checked, so no message exceeds 192 KB even re-indented by the host). Premium queues are set to take it; Standard takes 256 KB, which is the floor.')
@minValue(192)
@maxValue(1024)
param maxMessageSizeInKilobytes int = 256

@description('Blob container of claim-checked message bodies (ClaimCheckContainer).')
param claimCheckContainer string = 'message-claims'

@description('Days a claim-checked body is kept (a message lives at most its queue TTL plus dead-letter handling).')
param claimCheckRetentionDays int = 30

@description('Premium messaging units (ignored for Standard).')
param serviceBusCapacity int = 1

@description('Deliveries before Service Bus dead-letters a message. The handler reads the same number (MaxDeliveryCount) to record a failure on the last delivery, so both come from this one parameter.')
@minValue(1)
param maxDeliveryCount int = 5

@description('A settlement still pending after this long is failed by SweepSettlements; also the time-to-live of an evaluation request.')
param settlementTimeoutSeconds int = 600

@description('A pending settlement is re-dispatched after this long.')
param redispatchAfterSeconds int = 60

@description('Base URL of the national insured-persons directory asked about members a home registry does not know (GET {base}/members/{region}/{memberId}); empty = no lookup.')
param nationalDirectoryBaseUrl string = ''

@description('Timeout of one national-directory request, in seconds (two retries follow a timeout or a 5xx).')
@minValue(1)
param nationalDirectoryTimeoutSeconds int = 2

@description('Timeout of one hospital callback POST, in seconds (three tries per delivery, bounded by maxDeliveryCount deliveries).')
@minValue(1)
param callbackTimeoutSeconds int = 5

@description('CRON (six fields, with seconds) of SweepSettlements.')
param sweepSchedule string = '0 */1 * * * *'

@description('CRON (six fields) of ClosePeriod: 00:05 on the 1st of the month.')
param closePeriodSchedule string = '0 5 16 * * *'

@description('Load the demo hospitals, members, keys and clearing users (never in production).')
param demo bool = false

@description('Hospital key ids (data/hospitals.json keyId); each gets the setting HospitalKeys__<keyId> referencing the Key Vault secret hospital-key-<keyId>.')
param hospitalKeyIds array = []

@description('Clearing-staff user names for ClearingIdentity Local; each gets ClearingUsers__<name> referencing the Key Vault secret clearing-user-<name> ("<pbkdf2-sha256 hash from ./gateway hash-password>:<role>[:<region>]").')
param clearingUsers array = []

@description('Hospital callback hosts registered in this environment beyond data/hospitals.json: { "H440300001": "his.example.cn,his2.example.cn:8443" }. Callbacks go to https on these hosts only.')
param callbackHosts object = {}

@description('Who the clearing staff are: AppServiceAuthentication (Microsoft Entra ID sign-in by App Service Authentication; the handler reads X-MS-CLIENT-PRINCIPAL) or Local (HTTP Basic users, clearingUsers).')
@allowed(['AppServiceAuthentication', 'Local'])
param clearingIdentity string = 'AppServiceAuthentication'

@description('Application (client) id of the Entra ID app registration the clearing staff sign in to (docs/deploy.md, step 0). Required with AppServiceAuthentication.')
param clearingAuthClientId string = ''

@description('Entra ID tenant of that app registration; empty = the tenant of this subscription.')
param clearingAuthTenantId string = ''

@description('App roles of that app registration → clearing grants: { "<appRole>": "read|close|admin[:<region>]" }; each becomes ClearingRoles__<appRole>.')
param clearingRoles object = {}

@description('Create the staging deployment slot (release by swap, rollback by swapping back).')
param stagingSlot bool = true

@description('Object id of the operator (user or group) allowed to write Key Vault secrets; empty to skip.')
param operatorObjectId string = ''

// The queue name prefix of the per-home-region evaluation requests (function.json queueName).
var homeQueuePrefix = 'eval-requests-'

// Queues not tied to one home region. Lock duration: a delivery is one evaluation or one reply
// application (milliseconds to a few seconds); host.json's maxAutoLockRenewalDuration (5 min) renews
// the lock up to functionTimeout, so one minute only bounds how soon a crashed instance's message returns.
var sharedQueues = [
  {
    name: 'eval-replies'
    // A reply carries accumulators already applied at home: it must not expire before it is applied.
    ttl: 'P14D'
  }
  {
    name: 'filing-replies'
    // A lost filing reply costs nothing: the hospital's next poll sends the filing again and the home region repeats its answer.
    ttl: 'P1D'
  }
  {
    name: 'hospital-callbacks'
    // A callback only saves the hospital a poll (GET /api/v1/settlements/{id} has the result): a day is plenty.
    ttl: 'P1D'
  }
]

var homeQueues = [for r in homeRegions: {
  name: '${homeQueuePrefix}${r}'
  // An unevaluated request older than the settlement timeout has been failed by the sweep; let it dead-letter.
  ttl: 'PT${settlementTimeoutSeconds}S'
}]

// Tables the app uses (Gateway.Storage.GatewayStorage.AllTables).
var tables = [
  'Settlements'
  'Members'
  'Accumulators'
  'Ledger'
  'Periods'
  'Filings'
  'Stays'
  'NationalMessages'
  'TraceCodes'
  'Reviews'
]

var suffix = uniqueString(resourceGroup().id, environment)
var names = {
  identity: 'id-gateway-${environment}'
  storage: take('stgw${environment}${suffix}', 24)
  serviceBus: 'sb-gateway-${environment}-${suffix}'
  keyVault: take('kv-gw-${environment}-${suffix}', 24)
  logs: 'log-gateway-${environment}'
  insights: 'appi-gateway-${environment}'
  plan: 'plan-gateway-${environment}'
  site: 'func-gateway-${environment}-${suffix}'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.logs
    insightsName: names.insights
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: names.storage
    tables: tables
    claimCheckContainer: claimCheckContainer
    claimCheckRetentionDays: claimCheckRetentionDays
    contentShares: stagingSlot ? [names.site, '${names.site}-staging'] : [names.site]
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    name: names.serviceBus
    sku: serviceBusSku
    capacity: serviceBusCapacity
    queues: concat(homeQueues, sharedQueues)
    maxDeliveryCount: maxDeliveryCount
    maxMessageSizeInKilobytes: maxMessageSizeInKilobytes
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.keyVault
    storageAccountName: storage.outputs.name
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.properties.principalId
    storageAccountName: storage.outputs.name
    serviceBusName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    operatorObjectId: operatorObjectId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  dependsOn: [roles]
  params: {
    location: location
    planName: names.plan
    siteName: names.site
    planSku: planSku
    minimumInstances: minimumInstances
    maximumInstances: maximumInstances
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    contentShare: names.site
    stagingSlot: stagingSlot
    serviceBusFqdn: serviceBus.outputs.fullyQualifiedNamespace
    keyVaultName: keyVault.outputs.name
    insightsConnectionString: monitoring.outputs.connectionString
    maxDeliveryCount: maxDeliveryCount
    claimCheckContainer: claimCheckContainer
    settlementTimeoutSeconds: settlementTimeoutSeconds
    redispatchAfterSeconds: redispatchAfterSeconds
    sweepSchedule: sweepSchedule
    closePeriodSchedule: closePeriodSchedule
    nationalDirectoryBaseUrl: nationalDirectoryBaseUrl
    nationalDirectoryTimeoutSeconds: nationalDirectoryTimeoutSeconds
    callbackTimeoutSeconds: callbackTimeoutSeconds
    demo: demo
    hospitalKeyIds: hospitalKeyIds
    clearingUsers: clearingUsers
    callbackHosts: callbackHosts
    clearingIdentity: clearingIdentity
    clearingAuthClientId: clearingAuthClientId
    clearingAuthTenantId: clearingAuthTenantId
    clearingRoles: clearingRoles
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output keyVaultName string = keyVault.outputs.name
output serviceBusNamespace string = serviceBus.outputs.name
output storageAccountName string = storage.outputs.name
