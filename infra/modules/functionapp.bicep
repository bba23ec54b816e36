// The Function App: Linux Elastic Premium running the custom handler (FUNCTIONS_WORKER_RUNTIME=custom),
// with identity-based connections and Key Vault references. Setting names are exactly those
// functions/*/function.json, host.json and the handler use; tests/Gateway.Deploy.Tests holds them to it.
param location string
param planName string
param siteName string
param planSku string
param minimumInstances int
param maximumInstances int
param identityId string
param identityClientId string
param storageAccountName string
param contentShare string
param stagingSlot bool
param serviceBusFqdn string
param keyVaultName string
@secure()
param insightsConnectionString string
param maxDeliveryCount int
param claimCheckContainer string
param settlementTimeoutSeconds int
param nationalDirectoryBaseUrl string
param nationalDirectoryTimeoutSeconds int
param callbackTimeoutSeconds int
param redispatchAfterSeconds int
param sweepSchedule string
param closePeriodSchedule string
param demo bool
param hospitalKeyIds array
param clearingUsers array
@description('Callback hosts per hospital code, comma-separated (host or host:port), beside data/hospitals.json callbackHosts.')
param callbackHosts object
@allowed(['AppServiceAuthentication', 'Local'])
param clearingIdentity string
param clearingAuthClientId string
param clearingAuthTenantId string
param clearingRoles object

// Section prefixes the handler reads with GetSection(...).GetChildren(): one setting per hospital key / user.
var hospitalKeyPrefix = 'HospitalKeys__'
// Callback hosts a hospital registered (https only; the handler refuses any other target): CallbackHosts__<code> = host[,host:port].
var callbackHostPrefix = 'CallbackHosts__'
var clearingUserPrefix = 'ClearingUsers__'
var clearingRolePrefix = 'ClearingRoles__'

var kvRef = '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName='

var fixedSettings = {
  // Functions host: custom handler on the v4 runtime.
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'custom'
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
  // Run the deployed zip as a read-only mount: the unit of deployment and of rollback.
  WEBSITE_RUN_FROM_PACKAGE: '1'
  // Elastic Premium mounts its content share with a key (Azure Files has no identity-based mount for it);
  // the key stays in Key Vault. The share is created by the storage module, so the platform need not validate it.
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: '${kvRef}storage-connection)'
  WEBSITE_CONTENTSHARE: toLower(contentShare)
  WEBSITE_SKIP_CONTENTSHARE_VALIDATION: '1'
  // The host's own storage (keys, timer leases): identity-based.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // function.json "connection": "ServiceBusConnection": identity-based.
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusFqdn
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identityClientId
  // The handler's table client takes a connection string (Gateway.Storage.GatewayStorage), from Key Vault.
  TableStorageConnection: '${kvRef}storage-connection)'
  // The handler sends its own messages (intake, sweep, dead-letter path) with the Service Bus SDK over the same
  // identity-based connection (Gateway.Messaging.MessagingFactory); claim-checked bodies go to this blob container.
  QueueTransport: 'ServiceBus'
  ClaimCheckContainer: claimCheckContainer
  MaxDeliveryCount: string(maxDeliveryCount)
  SettlementTimeoutSeconds: string(settlementTimeoutSeconds)
  RedispatchAfterSeconds: string(redispatchAfterSeconds)
  // %SweepSchedule% and %ClosePeriodSchedule% in the timer triggers.
  SweepSchedule: sweepSchedule
  ClosePeriodSchedule: closePeriodSchedule
  // Optional lookup of unknown members in the national directory (empty = off), and the hospital callbacks.
  NationalDirectoryBaseUrl: nationalDirectoryBaseUrl
  NationalDirectoryTimeoutSeconds: string(nationalDirectoryTimeoutSeconds)
  CallbackTimeoutSeconds: string(callbackTimeoutSeconds)
  GATEWAY_DEMO: demo ? 'true' : 'false'
  // Clearing staff: App Service Authentication (Entra ID) in front, the handler trusts X-MS-CLIENT-PRINCIPAL only when
  // this says so (Local = HTTP Basic users ClearingUsers__*). The Entra ID client secret of the sign-in (code flow) is read
  // by the platform through authsettingsV2 clientSecretSettingName.
  ClearingIdentity: clearingIdentity
  MICROSOFT_PROVIDER_AUTHENTICATION_SECRET: '${kvRef}clearing-auth-client-secret)'
}

var hospitalKeySettings = toObject(hospitalKeyIds, id => '${hospitalKeyPrefix}${id}', id => '${kvRef}hospital-key-${id})')
var clearingUserSettings = toObject(clearingUsers, u => '${clearingUserPrefix}${u}', u => '${kvRef}clearing-user-${u})')
var callbackHostSettings = toObject(items(callbackHosts), i => '${callbackHostPrefix}${i.key}', i => string(i.value))
// App role (value in the Entra ID app registration) → clearing grant: ClearingRoles__<appRole> = read|close|admin[:region].
var clearingRoleSettings = toObject(items(clearingRoles), r => '${clearingRolePrefix}${r.key}', r => string(r.value))

// App Service Authentication: Entra ID sign-in for the clearing pages and API. Unauthenticated requests are let through
// (AllowAnonymous): the hospitals' HMAC-signed API, the health route and the host's own routes need no Entra session, and
// the handler itself answers 401/403 on /api/v1/clearing and the member import. With the platform enabled, App Service
// strips any X-MS-CLIENT-PRINCIPAL a client sends and sets it only for a signed-in session or a valid bearer token.
var clearingAuthTenant = empty(clearingAuthTenantId) ? tenant().tenantId : clearingAuthTenantId
var authSettings = {
  platform: {
    enabled: true
  }
  globalValidation: {
    requireAuthentication: false
    unauthenticatedClientAction: 'AllowAnonymous'
  }
  httpSettings: {
    requireHttps: true
  }
  identityProviders: {
    azureActiveDirectory: {
      enabled: true
      registration: {
        clientId: clearingAuthClientId
        clientSecretSettingName: 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET'
        openIdIssuer: '${environment().authentication.loginEndpoint}${clearingAuthTenant}/v2.0'
      }
      validation: {
        allowedAudiences: ['api://${clearingAuthClientId}', clearingAuthClientId]
      }
    }
  }
  login: {
    tokenStore: {
      enabled: true
    }
  }
}

var siteConfig = {
  linuxFxVersion: ''
  minTlsVersion: '1.2'
  ftpsState: 'Disabled'
  minimumElasticInstanceCount: minimumInstances
  preWarmedInstanceCount: minimumInstances
  functionAppScaleLimit: maximumInstances
  // Scale on Service Bus queue length per function (target-based), not on HTTP load alone.
  functionsRuntimeScaleMonitoringEnabled: true
  healthCheckPath: '/api/v1/health'
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: maximumInstances
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: siteName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: siteConfig
  }
}

resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'appsettings'
  properties: union(fixedSettings, hospitalKeySettings, clearingUserSettings, clearingRoleSettings, callbackHostSettings)
}

resource auth 'Microsoft.Web/sites/config@2023-12-01' = if (clearingIdentity == 'AppServiceAuthentication') {
  parent: site
  name: 'authsettingsV2'
  properties: authSettings
}

// The staging slot: same plan, identity and settings, its own content share. Releases go here first and
// are swapped in; the previous release stays here for a swap back (docs/deploy.md).
resource staging 'Microsoft.Web/sites/slots@2023-12-01' = if (stagingSlot) {
  parent: site
  name: 'staging'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: siteConfig
  }
}

resource stagingSettings 'Microsoft.Web/sites/slots/config@2023-12-01' = if (stagingSlot) {
  parent: staging
  name: 'appsettings'
  properties: union(fixedSettings, hospitalKeySettings, clearingUserSettings, clearingRoleSettings, callbackHostSettings, { WEBSITE_CONTENTSHARE: toLower('${contentShare}-staging') })
}

resource stagingAuth 'Microsoft.Web/sites/slots/config@2023-12-01' = if (stagingSlot && clearingIdentity == 'AppServiceAuthentication') {
  parent: staging
  name: 'authsettingsV2'
  properties: authSettings
}

// The content share belongs to the slot, not to the release: it must not travel with a swap.
resource stickySettings 'Microsoft.Web/sites/config@2023-12-01' = if (stagingSlot) {
  parent: site
  name: 'slotConfigNames'
  properties: {
    appSettingNames: ['WEBSITE_CONTENTSHARE']
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
