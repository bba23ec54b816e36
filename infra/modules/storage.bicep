// The storage account: the app's tables (Table Storage), the Functions host's blobs (keys, timer leases),
// and the Azure Files content share Elastic Premium mounts.
param location string
param name string
param tables array
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

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = [for s in contentShares: {
  parent: fileService
  name: toLower(s)
}]

output name string = account.name
