using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Data;

/// <summary>SQL functions for the hub's LINQ queries that the two databases spell differently.</summary>
internal static class HubFunctions
{
    /// <summary>The SQLite function behind <see cref="Lower"/>, registered on every connection the hub opens.</summary>
    internal const string SqliteLower = "hub_lower";

    /// <summary>
    /// Lower case by Unicode rules, for case-insensitive search. SQLite's own lower() folds ASCII letters only ("Ä"
    /// stays "Ä"), so there it is <see cref="SqliteLower"/>, which runs .NET's ToLowerInvariant; PostgreSQL's lower()
    /// follows the database's locale (Unicode in any UTF-8 locale).
    /// </summary>
    public static string Lower(string value) => throw new InvalidOperationException("HubFunctions.Lower runs only inside a database query.");

    internal static void Map(ModelBuilder modelBuilder, bool sqlite) =>
        modelBuilder.HasDbFunction(typeof(HubFunctions).GetMethod(nameof(Lower))!).HasName(sqlite ? SqliteLower : "lower").IsBuiltIn();
}
