// The storage account: the app's tables (Table Storage), the Functions host's blobs (keys, timer leases),
// and the Azure Files content share Elastic Premium mounts.
param location string
param name string
param tables array
@description('Container of claim-checked message bodies (the handler writes and reads it; Gateway.Messaging.ClaimCheck).')
param claimCheckContainer string
param claimCheckRetentionDays int
@description('Content shares of the Function App: production and each deployment slot need their own.')
param contentShares array

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    // Shared keys stay on only for the Elastic Premium content share (Azure Files has no identity-based
    // mount for it) and the handler's table client until it takes a token credential (docs/deploy.md).
    allowSharedKeyAccess: true
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource table 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for t in tables: {
  parent: tableService
  name: t
}]

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource claims 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: claimCheckContainer
  properties: { publicAccess: 'None' }
}

// Claim-checked bodies are read within a message's life (queue TTL, then dead-letter handling): deleted after that.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-message-claims'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${claimCheckContainer}/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: claimCheckRetentionDays } } }
          }
        }
      ]
    }
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = [for s in contentShares: {
  parent: fileService
  name: toLower(s)
}]

output name string = account.name
