using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tests.Scripting;

public sealed class ScriptingOptionsTests
{
    [Theory]
    [InlineData("Scripting:RecursionLimit", "0")]
    [InlineData("Scripting:MaxStatements", "10")]
    [InlineData("Scripting:MemoryLimitBytes", "1024")]
    public async Task Start_WithALimitOutOfRange_FailsNamingTheSetting(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { [key] = value }));

        var validation = Assert.IsType<OptionsValidationException>(error.GetBaseException());
        Assert.Contains(key.Split(':')[1], validation.Message, StringComparison.Ordinal);
    }
}
