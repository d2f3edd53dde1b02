using IntegrationHub.Secrets;

namespace IntegrationHub.Scenarios;

/// <summary>
/// The values of a scenario's headers, where the credentials of the systems it connects live (an Authorization or API
/// key header), are kept encrypted in the database (<see cref="SecretValues"/>): encrypted on every save, decrypted for
/// the runs (<c>Runs/ScenarioSnapshots</c>, once per version) and for those who may edit the scenario
/// (<see cref="ScenarioResponse"/>), nowhere else. Values saved in plain text before are read as they are, and
/// encrypted by the next save.
/// </summary>
internal sealed class ScenarioSecrets(SecretValues values)
{
    /// <summary>
    /// What an editor reads for a value that does not decrypt with this hub's key. Sent back unchanged, it keeps the
    /// stored value, which the right key may read again; the value is not lost by saving the rest of the scenario.
    /// </summary>
    public const string UnreadableValue = "(encrypted with another Secrets:Key)";

    /// <summary>
    /// Encrypts the header values <see cref="ScenarioValidator.Apply"/> put on <paramref name="scenario"/>; values sent
    /// back as <see cref="UnreadableValue"/> keep what is stored under their name (<paramref name="storedSource"/>,
    /// <paramref name="storedTarget"/>). The errors name a header sent back so with nothing stored to keep.
    /// </summary>
    public Dictionary<string, string[]> Encrypt(Scenario scenario, IReadOnlyDictionary<string, string>? storedSource, IReadOnlyDictionary<string, string>? storedTarget)
    {
        var errors = new Dictionary<string, string[]>();
        scenario.Source = scenario.Source with { Headers = Encrypt(scenario.Source.Headers, storedSource, "source.headers", errors) };
        scenario.Target = scenario.Target with { Headers = Encrypt(scenario.Target.Headers, storedTarget, "target.headers", errors) };
        return errors;
    }

    /// <summary>The header values as editors read them: decrypted, or <see cref="UnreadableValue"/>.</summary>
    public IReadOnlyDictionary<string, string>? Decrypt(IReadOnlyDictionary<string, string>? headers) =>
        headers?.ToDictionary(h => h.Key, h => values.TryDecrypt(h.Value, out var value, out _) ? value : UnreadableValue);

    /// <summary>
    /// <paramref name="scenario"/> (a copy of its own, read for runs only) with its header values decrypted. Headers
    /// that do not decrypt become <see cref="UnreadableHeaders"/>: the run that sends them fails saying why.
    /// </summary>
    public Scenario DecryptForRuns(Scenario scenario)
    {
        scenario.Source = scenario.Source with { Headers = DecryptForRuns(scenario.Source.Headers, "source") };
        scenario.Target = scenario.Target with { Headers = DecryptForRuns(scenario.Target.Headers, "target") };
        return scenario;
    }

    private Dictionary<string, string>? Encrypt(
        IReadOnlyDictionary<string, string>? headers, IReadOnlyDictionary<string, string>? stored, string field, Dictionary<string, string[]> errors)
    {
        if (headers is null)
        {
            return null;
        }
        var encrypted = new Dictionary<string, string>(headers.Count);
        foreach (var (name, value) in headers)
        {
            if (value == UnreadableValue)
            {
                if (stored?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } kept
                    && SecretValues.IsEncrypted(kept))
                {
                    encrypted[name] = kept;
                    continue;
                }
                // Every such header is named, not only the last: each needs its value entered.
                errors[field] = [.. errors.GetValueOrDefault(field, []),
                    $"The value of {name} reads \"{UnreadableValue}\", and there is no stored value to keep: enter the value."];
            }
            // Always encrypted, even a value that looks encrypted: what the editor typed is what the run sends.
            encrypted[name] = values.Encrypt(value);
        }
        return encrypted;
    }

    private IReadOnlyDictionary<string, string>? DecryptForRuns(IReadOnlyDictionary<string, string>? headers, string connector)
    {
        if (headers is null)
        {
            return null;
        }
        var decrypted = new Dictionary<string, string>(headers.Count);
        foreach (var (name, stored) in headers)
        {
            if (!values.TryDecrypt(stored, out var value, out var problem))
            {
                return new UnreadableHeaders(headers, $"The {connector} header {name} cannot be sent: its value was {problem}. Give this "
                    + "node the Secrets:Key the scenario was saved with (every node needs the same one), or enter the header values "
                    + "again and save the scenario.");
            }
            decrypted[name] = value;
        }
        return decrypted;
    }
}
