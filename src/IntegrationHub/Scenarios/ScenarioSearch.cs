using IntegrationHub.Data;

namespace IntegrationHub.Scenarios;

/// <summary>The scenario search of the API and the Scenarios page: the same matches in both.</summary>
internal static class ScenarioSearch
{
    /// <summary>
    /// Scenarios whose name or description holds <paramref name="search"/>, lower-cased by Unicode rules on both
    /// databases (SQLite's own lower() folds ASCII only); all of them for an empty search. A term holding U+0000 matches
    /// nothing: no name or description holds it (the API refuses it), and PostgreSQL's text cannot even compare it.
    /// </summary>
    public static IQueryable<Scenario> Matching(this IQueryable<Scenario> query, string? search)
    {
        if (string.IsNullOrWhiteSpace(search))
        {
            return query;
        }
        var term = search.Trim().ToLowerInvariant();
        return term.Contains('\0')
            ? query.Where(_ => false)
            : query.Where(s => HubFunctions.Lower(s.Name).Contains(term) || HubFunctions.Lower(s.Description).Contains(term));
    }
}
