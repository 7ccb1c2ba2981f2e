// Lucia 2 reads the app's user and session attribute types from this global namespace.
// The package itself is generic over them; this default only lets the package compile.
declare namespace Lucia {
  type Auth = import("lucia").Auth;
  type DatabaseUserAttributes = Record<string, unknown>;
  type DatabaseSessionAttributes = Record<string, unknown>;
}
