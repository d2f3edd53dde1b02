using IntegrationHub.Data;
using IntegrationHub.Secrets;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Scenarios;

/// <summary>Re-encrypts the header values that a previous <c>Secrets:Key</c> encrypted (<see cref="SecretsRotation"/>).</summary>
internal sealed class ScenarioSecretsReencryption(IDbContextFactory<HubDbContext> dbFactory, SecretValues values, PreviousSecretsKeys previousKeys)
    : IReencryptsSecrets
{
    public string Secrets => "header values of scenarios";

    public async Task<int> ReencryptAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var previous in previousKeys.Keys)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var pattern = $"%{SecretValues.Prefix}{previous.Id}:%";
            var scenarios = await db.Scenarios
                .FromSqlRaw("""SELECT * FROM "Scenarios" WHERE "Source" LIKE {0} OR "Target" LIKE {0}""", pattern)
                .ToListAsync(cancellationToken);
            var reencrypted = 0;
            foreach (var scenario in scenarios)
            {
                scenario.Source = scenario.Source with { Headers = Reencrypt(scenario.Source.Headers, ref reencrypted) };
                scenario.Target = scenario.Target with { Headers = Reencrypt(scenario.Target.Headers, ref reencrypted) };
            }
            try
            {
                // The values read the same, so the version stays: runs' snapshots of it are still right. It is the
                // concurrency token all the same, so a save by a node meanwhile (with the new key too) is not overwritten.
                await db.SaveChangesAsync(cancellationToken);
                count += reencrypted;
            }
            catch (DbUpdateConcurrencyException)
            {
                // Saved meanwhile by another node, which encrypted with the current key; the next start finds what is left.
            }
        }
        return count;
    }

    private Dictionary<string, string>? Reencrypt(IReadOnlyDictionary<string, string>? headers, ref int count)
    {
        if (headers is null)
        {
            return null;
        }
        var reencrypted = new Dictionary<string, string>(headers.Count);
        foreach (var (name, stored) in headers)
        {
            // A damaged value stays as it is: its runs say so, and an editor enters it again.
            if (values.IsOfAPreviousKey(stored) && values.TryDecrypt(stored, out var value, out _))
            {
                reencrypted[name] = values.Encrypt(value);
                count++;
            }
            else
            {
                reencrypted[name] = stored;
            }
        }
        return reencrypted;
    }
}
