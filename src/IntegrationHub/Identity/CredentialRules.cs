using System.Net.Mail;

namespace IntegrationHub.Identity;

/// <summary>What an email and a password must look like. The same rules apply in setup, user creation and password changes.</summary>
internal static class CredentialRules
{
    /// <summary>Passwords are at least this long (NIST SP 800-63B's floor; length beats character classes).</summary>
    public const int MinimumPasswordLength = 8;

    /// <summary>Longer passwords are refused so that hashing cannot be made expensive on purpose.</summary>
    public const int MaximumPasswordLength = 256;

    public const int MaximumEmailLength = 320;

    /// <summary>The form emails are compared in: unique across the installation, case-insensitive.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToUpperInvariant();

    /// <summary>
    /// Null when <paramref name="name"/> can name a workspace, else why not: 1 to
    /// <see cref="FirstRunSetup.MaximumWorkspaceNameLength"/> characters once trimmed, on one line, with something to
    /// see (a name of only a zero-width space shows as no name at all, and a tab or line break breaks the pages' lists).
    /// </summary>
    public static string? CheckWorkspaceName(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > FirstRunSetup.MaximumWorkspaceNameLength)
        {
            return $"A name of 1 to {FirstRunSetup.MaximumWorkspaceNameLength} characters is required.";
        }
        if (trimmed.Any(char.IsControl))
        {
            return "A name is one line of text, without tabs, line breaks or other control characters.";
        }
        if (!trimmed.Any(c => !char.IsWhiteSpace(c) && System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format))
        {
            return "A name needs at least one visible character.";
        }
        return null;
    }

    /// <summary>Null when <paramref name="email"/> is usable, else why not.</summary>
    public static string? CheckEmail(string? email)
    {
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return "An email address is required.";
        }
        if (trimmed.Length > MaximumEmailLength
            || !MailAddress.TryCreate(trimmed, out var parsed)
            || !string.Equals(parsed.Address, trimmed, StringComparison.Ordinal))
        {
            return "This is not a valid email address.";
        }
        return null;
    }

    /// <summary>Null when <paramref name="password"/> is acceptable, else why not.</summary>
    public static string? CheckPassword(string? password, string? email = null)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinimumPasswordLength)
        {
            return $"The password must be at least {MinimumPasswordLength} characters long.";
        }
        if (password.Length > MaximumPasswordLength)
        {
            return $"The password must be at most {MaximumPasswordLength} characters long.";
        }
        if (string.IsNullOrWhiteSpace(password) || (email is not null && string.Equals(password.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase)))
        {
            return "The password is too easy to guess.";
        }
        return null;
    }

    /// <summary>Collects the email and password errors by field name, for a validation problem.</summary>
    internal static Dictionary<string, string[]> Check(string? email, string? password, string passwordField = "password")
    {
        var errors = new Dictionary<string, string[]>();
        if (CheckEmail(email) is { } emailError)
        {
            errors["email"] = [emailError];
        }
        if (CheckPassword(password, email) is { } passwordError)
        {
            errors[passwordField] = [passwordError];
        }
        return errors;
    }
}
