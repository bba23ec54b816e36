using System.Text.RegularExpressions;
using Gateway.Storage;
using Newtonsoft.Json.Linq;

namespace Gateway.Deploy.Tests;

/// <summary>
/// infra/ names exactly what functions/*/function.json, host.json and the handler use: every queue, table,
/// connection and setting is declared, and nothing declared is unused. Whoever adds a function, a queue or
/// a setting must declare it in infra/ in the same change, and whoever removes one must remove it there.
/// </summary>
public sealed class InfraConsistencyTests(CompiledInfra infra) : IClassFixture<CompiledInfra>
{
    /// <summary>Settings the Functions platform itself reads (not named in function.json or by the handler).</summary>
    private static readonly Dictionary<string, string> PlatformSettings = new(StringComparer.Ordinal)
    {
        ["FUNCTIONS_EXTENSION_VERSION"] = "runtime version of the Functions host",
        ["FUNCTIONS_WORKER_RUNTIME"] = "'custom' selects the custom handler",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "host telemetry",
        ["WEBSITE_RUN_FROM_PACKAGE"] = "runs the deployed zip",
        ["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"] = "Elastic Premium content share",
        ["WEBSITE_CONTENTSHARE"] = "Elastic Premium content share",
        ["WEBSITE_SKIP_CONTENTSHARE_VALIDATION"] = "the share is created by infra/, and its connection is a Key Vault reference",
        ["MICROSOFT_PROVIDER_AUTHENTICATION_SECRET"] = "App Service Authentication's Entra ID client secret (authsettingsV2 clientSecretSettingName)",
    };

    /// <summary>Settings the platform sets on every instance, or that the handler reads with a default the publish layout satisfies.</summary>
    private static readonly Dictionary<string, string> ProvidedOrDefaulted = new(StringComparer.Ordinal)
    {
        ["WEBSITE_HOSTNAME"] = "set by App Service on every instance",
        ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "set by the Functions host for the handler",
        ["GATEWAY_DATA_DIR"] = "defaults to data/ beside the handler, where publish puts it",
        ["ServiceBusConnection"] = "a connection string is tried first, as the Functions host resolves a connection; Azure sets only the identity-based ServiceBusConnection__* (a key-based string would win, so infra never declares it)",
        ["ClaimCheckThresholdBytes"] = "defaults to 32 KiB, the figure the 192 KB message bound and infra's maxMessageSizeInKilobytes rest on",
        ["ClearingSignInMaxFailuresPerUser"] = "defaults to 5 failed sign-ins per user in the window (Local identity only)",
        ["ClearingSignInMaxFailuresPerAddress"] = "defaults to 20 failed sign-ins per client address in the window (Local identity only)",
        ["ClearingSignInWindowSeconds"] = "defaults to 300 s, the sliding window of the sign-in limits (tests lower it)",
        ["AzureWebJobsStorage"] = "the host's own storage (identity-based AzureWebJobsStorage__* in Azure); the handler falls back to its plain value only when TableStorageConnection, which infra sets, is missing",
        ["ClearingVerificationCacheSeconds"] = "defaults to 60 s, how long a verified Basic credential is remembered",
        ["CallbackRetryAttempts"] = "defaults to 2 retries per callback delivery (CallbackOptions)",
        ["CallbackRetryDelayMilliseconds"] = "defaults to 200 ms, the first backoff of a callback retry (CallbackOptions)",
        ["NationalDirectoryRetryAttempts"] = "defaults to 2 retries per directory lookup (NationalDirectoryOptions)",
        ["NationalDirectoryRetryDelayMilliseconds"] = "defaults to 250 ms, the first backoff of a directory retry (NationalDirectoryOptions)",
        ["IntakeMaxStorageInFlight"] = "defaults to 256 table requests in flight, above which intake sheds new hospital writes with 503 (Hosting/IntakeAdmission)",
        ["IntakeSlowStoreMilliseconds"] = "defaults to 2,000 ms average table latency, above which intake sheds new hospital writes with 503",
        ["IntakeShedAfterFailureSeconds"] = "defaults to 5 s: how long after an unanswered table request intake sheds new hospital writes",
        ["StorageNetworkTimeoutSeconds"] = "defaults to 5 s, the SDK's per-try timeout for table requests",
        ["StorageMaxRetries"] = "defaults to 3 SDK retries per table request (≤ ~20 s in all with the 5 s timeout)",
    };

    /// <summary>Settings of the reliability harness: read by the handler, never to be set in an Azure environment.</summary>
    private static readonly Dictionary<string, string> TestHarnessOnly = new(StringComparer.Ordinal)
    {
        ["FaultInjectionSeed"] = "seeded fault injection between storage writes (tests/Gateway.Reliability.Tests)",
        ["FaultInjectionRate"] = "seeded fault injection between storage writes (tests/Gateway.Reliability.Tests)",
        ["AllowLoopbackCallbacks"] = "lets hospital callbacks reach http://127.0.0.1 (the tests' receivers); never in Azure (SSRF)",
        ["LocalHostWakeUrl"] = "set by the local host when it starts the handler (wakes its queue pumps after a send); absent in Azure",
        ["LocalHostWakeKey"] = "set by the local host when it starts the handler (its master key, for the wake route); absent in Azure",
    };

    private static readonly IReadOnlyList<FunctionDefinition> Functions = FunctionDefinition.InRepository();

    /// <summary>Connections the host uses without a function naming them: its own storage.</summary>
    private static IEnumerable<string> HostConnections => ["AzureWebJobsStorage"];

    private IEnumerable<string> UsedConnections => Functions.SelectMany(f => f.Connections).Concat(HostConnections).Distinct(StringComparer.Ordinal);

    private HandlerSettingReads HandlerReads => new(infra.FixedSettingNames);

    [Fact]
    public void Main_bicep_compiles_without_warnings()
    {
        Assert.DoesNotMatch(new Regex(@"\b(Warning|Error)\b", RegexOptions.IgnoreCase), infra.BuildOutput);
    }

    [Fact]
    public void Every_environment_declares_exactly_the_queues_the_functions_name()
    {
        var used = Functions.SelectMany(f => f.QueueNames).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(used);
        Assert.NotEmpty(infra.ParameterFiles);
        foreach (var (environment, _) in infra.ParameterFiles)
        {
            var declared = infra.QueuesFor(environment);
            var missing = used.Except(declared).Order().ToList();
            var unused = declared.Except(used).Order().ToList();
            Assert.True(missing.Count == 0, $"{environment}: queues used by functions/ but not declared in infra/ (homeRegions or sharedQueues): {string.Join(", ", missing)}");
            Assert.True(unused.Count == 0, $"{environment}: queues declared in infra/ that no function uses: {string.Join(", ", unused)}");
        }
    }

    [Fact]
    public void Every_queue_name_is_a_valid_service_bus_queue_name()
    {
        foreach (var q in Functions.SelectMany(f => f.QueueNames).Distinct())
            Assert.Matches(new Regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$"), q);
    }

    [Fact]
    public void Every_environment_evaluates_exactly_the_home_regions_that_have_a_rule_pack()
    {
        var packs = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "packs"), "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order().ToList();
        foreach (var (environment, p) in infra.ParameterFiles)
            Assert.Equal(packs, p["homeRegions"]!["value"]!.Values<string>().OfType<string>().Order().ToList());
    }

    [Fact]
    public void Infra_creates_exactly_the_tables_the_storage_layer_uses()
    {
        Assert.Equal(GatewayStorage.AllTables.Order(), infra.Tables.Order());
    }

    [Fact]
    public void Every_connection_a_binding_or_the_host_uses_is_declared_identity_based()
    {
        foreach (var connection in UsedConnections)
        {
            var identity = connection == "AzureWebJobsStorage" ? $"{connection}__accountName" : $"{connection}__fullyQualifiedNamespace";
            Assert.True(infra.FixedSettingNames.Contains(identity), $"connection {connection}: infra/ declares no {identity}");
            Assert.Contains($"{connection}__credential", infra.FixedSettingNames);
            Assert.Equal("managedidentity", infra.FixedSettingValue($"{connection}__credential"));
            Assert.Contains($"{connection}__clientId", infra.FixedSettingNames);
            // A key-based connection string under the same name would win over the identity settings.
            Assert.DoesNotContain(connection, infra.FixedSettingNames);
        }
    }

    [Fact]
    public void Every_setting_a_binding_names_in_percent_signs_is_declared()
    {
        var referenced = Functions.SelectMany(f => f.ReferencedSettings).Distinct().ToList();
        var missing = referenced.Where(s => !infra.FixedSettingNames.Contains(s)).ToList();
        Assert.True(missing.Count == 0, $"function.json uses %{string.Join("%, %", missing)}% but infra/ does not declare it");
    }

    [Fact]
    public void Every_setting_the_handler_reads_is_declared_provided_by_the_platform_or_defaulted_on_purpose()
    {
        var reads = HandlerReads;
        var missing = reads.Keys.Where(k => !infra.FixedSettingNames.Contains(k, StringComparer.OrdinalIgnoreCase) && !ProvidedOrDefaulted.ContainsKey(k) && !TestHarnessOnly.ContainsKey(k)).Order().ToList();
        Assert.True(missing.Count == 0, $"the handler reads settings infra/ does not declare: {string.Join(", ", missing)}");
        var sections = reads.Sections.Select(s => s + "__").ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(sections);
        Assert.True(sections.SetEquals(infra.SettingPrefixes), $"handler reads sections {string.Join(", ", sections)}; infra/ writes per-item settings {string.Join(", ", infra.SettingPrefixes)}");
    }

    /// <summary>
    /// The recorded reads come from running the handler's configuration code; this holds them to the source, so a
    /// setting read somewhere that code does not run (Program.cs, a new service) is not missed.
    /// </summary>
    [Fact]
    public void Every_setting_named_in_the_handlers_source_is_seen_by_the_recording_or_is_test_harness_only()
    {
        var pattern = new System.Text.RegularExpressions.Regex(@"(?:[Cc]onfiguration|config|settings)\[""([A-Za-z0-9_:]+)""\]|GetValue<[^>]+>\(""([A-Za-z0-9_:]+)""|GetSection\(""([A-Za-z0-9_:]+)""\)|ConfigurationKeyName\(""([A-Za-z0-9_:]+)""\)");
        var handler = Path.Combine(RepoPaths.Root, "src", "Gateway.Handler");
        var named = Directory.EnumerateFiles(handler, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .SelectMany(f => pattern.Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Name: m.Groups.Values.Skip(1).First(g => g.Success).Value.Replace(":", "__", StringComparison.Ordinal))))
            .ToList();
        Assert.NotEmpty(named);
        var reads = HandlerReads;
        var unseen = named.Where(n => !reads.Keys.Contains(n.Name) && !reads.Sections.Contains(n.Name) && !TestHarnessOnly.ContainsKey(n.Name) && !ProvidedOrDefaulted.ContainsKey(n.Name))
            .Select(n => $"{n.Name} ({n.File})").Distinct().Order().ToList();
        Assert.True(unseen.Count == 0, $"the handler's source reads settings the recording does not see (add the reading class to HandlerSettingReads): {string.Join(", ", unseen)}");
        foreach (var name in TestHarnessOnly.Keys)
        {
            Assert.True(named.Any(n => n.Name == name) || reads.Keys.Contains(name), $"{name} is no longer read: drop it from the list");
            Assert.DoesNotContain(name, infra.FixedSettingNames);
        }
    }

    [Fact]
    public void Nothing_declared_in_the_app_settings_is_unused()
    {
        var reads = HandlerReads;
        var connections = UsedConnections.ToList();
        var referenced = Functions.SelectMany(f => f.ReferencedSettings).ToHashSet(StringComparer.Ordinal);
        var unused = infra.FixedSettingNames.Where(s =>
            !PlatformSettings.ContainsKey(s)
            && !referenced.Contains(s)
            && !reads.Keys.Contains(s)
            && !connections.Any(c => s.StartsWith(c + "__", StringComparison.Ordinal))).ToList();
        Assert.True(unused.Count == 0, $"infra/ declares settings nothing reads: {string.Join(", ", unused)}");
    }

    [Fact]
    public void The_function_app_runs_a_custom_handler_on_functions_v4()
    {
        Assert.Equal("custom", infra.FixedSettingValue("FUNCTIONS_WORKER_RUNTIME"));
        Assert.Equal("~4", infra.FixedSettingValue("FUNCTIONS_EXTENSION_VERSION"));
        Assert.Equal("1", infra.FixedSettingValue("WEBSITE_RUN_FROM_PACKAGE"));
    }

    [Fact]
    public void Service_bus_dead_letters_after_the_same_delivery_count_the_handler_records_a_failure_on()
    {
        // Both come from one parameter of main.bicep: the queue's maxDeliveryCount and the MaxDeliveryCount setting.
        Assert.Equal("[string(parameters('maxDeliveryCount'))]", infra.FixedSettingValue("MaxDeliveryCount"));
        foreach (var module in new[] { "servicebus", "functionapp" })
            Assert.Equal("[parameters('maxDeliveryCount')]", (string?)infra.Module(module)["properties"]!["parameters"]!["maxDeliveryCount"]!["value"]);
        var queue = QueueResource();
        Assert.Equal("[parameters('maxDeliveryCount')]", (string?)queue["properties"]!["maxDeliveryCount"]);
        Assert.True((bool)queue["properties"]!["deadLetteringOnMessageExpiration"]!);
        Assert.False((bool)queue["properties"]!["requiresSession"]!);
    }

    [Fact]
    public void A_message_lock_outlives_every_invocation_through_renewal()
    {
        var host = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        var functionTimeout = TimeSpan.Parse((string)host["functionTimeout"]!, System.Globalization.CultureInfo.InvariantCulture);
        var renewal = TimeSpan.Parse((string)host["extensions"]!["serviceBus"]!["maxAutoLockRenewalDuration"]!, System.Globalization.CultureInfo.InvariantCulture);
        var lockDuration = System.Xml.XmlConvert.ToTimeSpan((string)QueueResource()["properties"]!["lockDuration"]!);
        Assert.True(renewal >= functionTimeout, $"lock renewal {renewal} ends before the function timeout {functionTimeout}: a slow invocation would lose its message");
        Assert.InRange(lockDuration, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Every_hospital_has_its_hmac_secret_referenced_from_key_vault_in_every_environment()
    {
        var keyIds = JArray.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "hospitals.json"))).Select(h => (string)h["keyId"]!).Order().ToList();
        foreach (var (environment, p) in infra.ParameterFiles)
            Assert.Equal(keyIds, p["hospitalKeyIds"]!["value"]!.Values<string>().OfType<string>().Order().ToList());
        var variables = (JObject)infra.ModuleTemplate("functionapp")["variables"]!;
        Assert.StartsWith("[format('@Microsoft.KeyVault(VaultName={0};SecretName='", (string)variables["kvRef"]!);
        // Secrets never sit in app settings: these resolve from Key Vault with the app's identity.
        foreach (var name in new[] { "TableStorageConnection", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING" })
            Assert.Contains("variables('kvRef')", infra.FixedSettingValue(name));
        Assert.Contains("variables('kvRef')", (string)variables["hospitalKeySettings"]!);
        Assert.Contains("variables('kvRef')", (string)variables["clearingUserSettings"]!);
    }

    [Fact]
    public void Every_parameter_file_supplies_only_declared_parameters_and_every_required_one()
    {
        var parameters = (JObject)infra.Template["parameters"]!;
        foreach (var (environment, p) in infra.ParameterFiles)
        {
            var unknown = p.Properties().Select(x => x.Name).Where(n => parameters[n] is null).ToList();
            Assert.True(unknown.Count == 0, $"{environment}: parameters main.bicep does not declare: {string.Join(", ", unknown)}");
            var required = parameters.Properties().Where(x => x.Value["defaultValue"] is null).Select(x => x.Name).Where(n => p[n] is null).ToList();
            Assert.True(required.Count == 0, $"{environment}: required parameters not supplied: {string.Join(", ", required)}");
        }
    }

    [Fact]
    public void The_app_identity_gets_only_data_plane_roles_on_its_own_resources()
    {
        var roles = infra.ModuleTemplate("roles")["variables"]!["roleIds"]!.ToObject<Dictionary<string, string>>()!;
        // No Owner/Contributor (8e3af657…, b24988ac…) and no account-key reader.
        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", roles.Values);
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", roles.Values);
        Assert.Contains("storageTableDataContributor", roles.Keys);
        Assert.Contains("serviceBusDataSender", roles.Keys);
        Assert.Contains("serviceBusDataReceiver", roles.Keys);
        Assert.Contains("keyVaultSecretsUser", roles.Keys);
    }

    [Fact]
    public void Production_and_the_staging_slot_get_the_same_declared_settings()
    {
        var settings = infra.ModuleTemplate("functionapp")["resources"]!.Children<JObject>()
            .Where(r => (string?)r["type"] is "Microsoft.Web/sites/config" or "Microsoft.Web/sites/slots/config" && ((string?)r["name"])!.EndsWith("appsettings')]", StringComparison.Ordinal))
            .Select(r => (string)r["properties"]!)
            .ToList();
        Assert.Equal(2, settings.Count);
        foreach (var expression in settings)
        {
            Assert.StartsWith("[union(variables('fixedSettings'), variables('hospitalKeySettings'), variables('clearingUserSettings')", expression);
        }
    }

    [Fact]
    public void Every_message_the_code_can_send_fits_the_service_bus_tier_infra_declares()
    {
        // The code's bound: a body over the claim-check threshold travels as a ~250-byte reference; a body under it may be
        // re-indented by the host (a bill grows by 1.56: 445 → 694 KB for 2,000 lines), plus the message's headers.
        const int bound = 192 * 1024;
        Assert.True(Gateway.Messaging.ClaimCheck.DefaultThresholdBytes * 1.6 + 4096 < bound, "the claim-check threshold lets a message exceed 192 KB");
        var parameters = (JObject)infra.Template["parameters"]!;
        var declared = (int)parameters["maxMessageSizeInKilobytes"]!["defaultValue"]!;
        Assert.True(declared * 1024 >= bound, $"infra says messages up to {declared} KB, the code sends up to 192 KB");
        Assert.True((int)parameters["maxMessageSizeInKilobytes"]!["minValue"]! >= 192);
        // Standard's fixed 256 KB holds the bound; Premium queues are told the declared size.
        Assert.Equal(["Standard", "Premium"], parameters["serviceBusSku"]!["allowedValues"]!.Values<string>().OfType<string>());
        Assert.Contains("parameters('maxMessageSizeInKilobytes')", (string)QueueResource()["properties"]!["maxMessageSizeInKilobytes"]!, StringComparison.Ordinal);
        Assert.Equal("[parameters('maxMessageSizeInKilobytes')]", (string?)infra.Module("servicebus")["properties"]!["parameters"]!["maxMessageSizeInKilobytes"]!["value"]);
        // The claim-check container exists where the handler writes it, and expires.
        var storage = infra.ModuleTemplate("storage")["resources"]!.Children<JObject>().ToList();
        Assert.Contains(storage, r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Contains(storage, r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/managementPolicies");
        Assert.Equal(Gateway.Messaging.ClaimCheck.DefaultContainer, (string)parameters["claimCheckContainer"]!["defaultValue"]!);
        Assert.Equal("ServiceBus", infra.FixedSettingValue("QueueTransport"));
    }

    [Fact]
    public void Clearing_staff_sign_in_with_entra_id_through_app_service_authentication_and_the_signed_api_is_let_through()
    {
        var template = infra.ModuleTemplate("functionapp");
        var variables = (JObject)template["variables"]!;
        var parameters = (JObject)infra.Template["parameters"]!;
        // The handler trusts X-MS-CLIENT-PRINCIPAL only under ClearingIdentity = AppServiceAuthentication: one parameter sets
        // the setting and decides whether authsettingsV2 is deployed, and its allowed values are the handler's modes.
        Assert.Equal("[parameters('clearingIdentity')]", infra.FixedSettingValue("ClearingIdentity"));
        Assert.Equal(Enum.GetNames<Gateway.Handler.Clearing.ClearingIdentityMode>().Order(), parameters["clearingIdentity"]!["allowedValues"]!.Values<string>().OfType<string>().Order());
        Assert.Equal("AppServiceAuthentication", (string?)parameters["clearingIdentity"]!["defaultValue"]);
        foreach (var module in new[] { "clearingIdentity", "clearingAuthClientId", "clearingAuthTenantId", "clearingRoles" })
            Assert.Equal($"[parameters('{module}')]", (string?)infra.Module("functionapp")["properties"]!["parameters"]![module]!["value"]);
        var auth = template["resources"]!.Children<JObject>()
            .Where(r => (string?)r["type"] is "Microsoft.Web/sites/config" or "Microsoft.Web/sites/slots/config" && ((string?)r["name"])!.Contains("'authsettingsV2'", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, auth.Count); // the site and the staging slot
        foreach (var r in auth)
        {
            Assert.Contains("equals(parameters('clearingIdentity'), 'AppServiceAuthentication')", (string)r["condition"]!, StringComparison.Ordinal);
            Assert.Equal("[variables('authSettings')]", (string?)r["properties"]);
        }
        var settings = (JObject)variables["authSettings"]!;
        Assert.True((bool)settings["platform"]!["enabled"]!);
        // Unauthenticated requests reach the app: hospitals (HMAC), health and the host's routes need no Entra session;
        // the handler answers 401/403 on the clearing routes itself.
        Assert.Equal("AllowAnonymous", (string?)settings["globalValidation"]!["unauthenticatedClientAction"]);
        Assert.False((bool)settings["globalValidation"]!["requireAuthentication"]!);
        Assert.True((bool)settings["httpSettings"]!["requireHttps"]!);
        var entra = settings["identityProviders"]!["azureActiveDirectory"]!;
        Assert.True((bool)entra["enabled"]!);
        Assert.Equal("[parameters('clearingAuthClientId')]", (string?)entra["registration"]!["clientId"]);
        Assert.Contains("environment().authentication.loginEndpoint", (string)entra["registration"]!["openIdIssuer"]!, StringComparison.Ordinal);
        var secretSetting = (string)entra["registration"]!["clientSecretSettingName"]!;
        Assert.Contains(secretSetting, infra.FixedSettingNames);
        Assert.Contains("variables('kvRef')", infra.FixedSettingValue(secretSetting));
        // App roles become ClearingRoles__<appRole> in both slots' settings, and each maps to a grant the handler accepts.
        Assert.Equal("ClearingRoles__", (string?)variables["clearingRolePrefix"]);
        Assert.Contains("variables('clearingRoleSettings')", (string)template["resources"]!.Children<JObject>().First(r => ((string?)r["name"])!.EndsWith("'appsettings')]", StringComparison.Ordinal))["properties"]!, StringComparison.Ordinal);
        foreach (var (environment, p) in infra.ParameterFiles)
        {
            Assert.Equal("AppServiceAuthentication", (string?)p["clearingIdentity"]!["value"]);
            Assert.NotNull(p["clearingAuthClientId"]);
            Assert.NotNull(p["clearingAuthTenantId"]);
            var regions = p["homeRegions"]!["value"]!.Values<string>().ToHashSet();
            var roles = (JObject)p["clearingRoles"]!["value"]!;
            Assert.NotEmpty(roles);
            foreach (var (appRole, grant) in roles)
            {
                Assert.Matches("^[A-Za-z0-9_]+$", appRole); // a Linux app setting name: letters, digits, underscores
                var parsed = Gateway.Handler.Clearing.ClearingGrant.Parse((string)grant!);
                Assert.True(parsed is not null, $"{environment}: clearingRoles.{appRole} = '{grant}' is not read|close|admin[:region]");
                Assert.True(parsed!.Region is null || regions.Contains(parsed.Region), $"{environment}: clearingRoles.{appRole}: region {parsed.Region} is not a home region");
            }
            foreach (var region in regions)
                Assert.Contains(roles.Properties(), r => (string?)r.Value == $"admin:{region}"); // every region can import its members
        }
    }

    private JObject QueueResource() =>
        infra.ModuleTemplate("servicebus")["resources"]!.Children<JObject>().Single(r => (string?)r["type"] == "Microsoft.ServiceBus/namespaces/queues");
}
