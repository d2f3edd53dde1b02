using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tests.Connectors;

public sealed class ConnectorsOptionsTests
{
    [Theory]
    [InlineData("Connectors:HttpRetryAttempts", "11")]
    [InlineData("Connectors:HttpAttemptTimeout", "00:00:00")]
    [InlineData("Connectors:HttpMaxRetryDelay", "00:10:01")]
    [InlineData("Connectors:HttpBlockedNetworks", "169.254.0.0/16, 10.0.0.0/33")]
    [InlineData("Connectors:HttpBlockedNetworks", "metadata.internal")]
    public async Task Start_WithASettingOutOfRange_FailsNamingIt(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { [key] = value }));

        var validation = Assert.IsType<OptionsValidationException>(error.GetBaseException());
        Assert.Contains(key.Split(':')[1], validation.Message, StringComparison.Ordinal);
    }
}
