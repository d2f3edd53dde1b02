using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Tests.Data;

public sealed class DatabaseLoggingTests
{
    [Fact]
    public async Task AFailedCommand_IsLoggedByItsCaller_NotOnceMoreByEf()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var log = new LogCapture();
        hub.Services.GetRequiredService<ILoggerFactory>().AddProvider(log);
        await using var db = await hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>().CreateDbContextAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("SELECT * FROM no_such_table"));
        await Assert.ThrowsAnyAsync<Exception>(() => db.Database.SqlQueryRaw<int>("SELECT x FROM no_such_table").ToListAsync());

        // EF logged each as an Error with the exception's stack trace, which a PostgreSQL outage wrote many times a second.
        Assert.DoesNotContain(log.Entries, entry => entry.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) && entry.Level >= LogLevel.Warning);
    }
}
