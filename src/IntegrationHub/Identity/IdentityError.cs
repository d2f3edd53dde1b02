using System.Diagnostics.CodeAnalysis;

namespace IntegrationHub.Identity;

/// <summary>What kind of expected failure an identity operation ended with; <see cref="IdentityProblems"/> maps it to HTTP.</summary>
internal enum IdentityErrorKind
{
    /// <summary>The input breaks a rule; <see cref="IdentityError.Errors"/> says which field. HTTP 400.</summary>
    Invalid,
    /// <summary>The caller may not do this. HTTP 403.</summary>
    Forbidden,
    /// <summary>The thing does not exist, or the caller may not see it (another workspace). HTTP 404.</summary>
    NotFound,
    /// <summary>The state forbids it: a duplicate email, the last admin, setup already done. HTTP 409.</summary>
    Conflict,
    /// <summary>Too many wrong passwords lately; <see cref="IdentityError.RetryAfter"/> says when to try again. HTTP 429.</summary>
    TooManyAttempts,
}

/// <summary>An expected failure, returned as a value (never thrown).</summary>
/// <param name="Errors">For <see cref="IdentityErrorKind.Invalid"/>: messages by field name (camelCase, as on the wire).</param>
/// <param name="RetryAfter">For <see cref="IdentityErrorKind.TooManyAttempts"/>: how long until the next attempt is taken.</param>
internal sealed record IdentityError(
    IdentityErrorKind Kind, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null, TimeSpan? RetryAfter = null)
{
    public static IdentityError Invalid(string field, string message) =>
        new(IdentityErrorKind.Invalid, message, new Dictionary<string, string[]> { [field] = [message] });

    public static IdentityError Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(IdentityErrorKind.Invalid, "One or more fields are invalid.", errors);

    public static IdentityError NotFound(string detail) => new(IdentityErrorKind.NotFound, detail);

    public static IdentityError Conflict(string detail) => new(IdentityErrorKind.Conflict, detail);

    public static IdentityError Forbidden(string detail) => new(IdentityErrorKind.Forbidden, detail);

    public static IdentityError TooManyAttempts(string detail, TimeSpan retryAfter) =>
        new(IdentityErrorKind.TooManyAttempts, detail, RetryAfter: retryAfter);
}

/// <summary>Either the value of a successful operation or the <see cref="IdentityError"/> it ended with.</summary>
internal readonly record struct Outcome<T>
{
    private Outcome(T? value, IdentityError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public IdentityError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

#pragma warning disable CA2225 // The named alternatives would be Outcome.Ok/Fail, which read worse at the call site than a plain return.
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(IdentityError error) => new(default, error);
#pragma warning restore CA2225
}
