/**
 * D values <-> libwt's 64-bit value slots, and D types <-> wasm value types.
 *
 * A slot is a `ulong`: i32 zero-extended, i64 as is, f32 as its bit pattern
 * in the low 32 bits, f64 as its bit pattern, funcref as a func handle
 * (0 = null). These conversions are pure; they need no library.
 */
module wt.values;

import std.meta : AliasSeq, staticMap;
import std.traits : Unqual, isIntegral, isFloatingPoint;
import std.typecons : Tuple, isTuple;

import wt.c;

/// The wasm value types (the `WT_I32` ... codes of wt.h).
enum ValType : int
{
    i32 = WT_I32,
    i64 = WT_I64,
    f32 = WT_F32,
    f64 = WT_F64,
    v128 = WT_V128,
    funcref = WT_FUNCREF,
    externref = WT_EXTERNREF,
    anyref = WT_ANYREF,
}

/// The name of a value type code as written in WAT ("i32", ...).
string valTypeName(int code) pure nothrow @safe
{
    switch (code)
    {
    case WT_I32:
        return "i32";
    case WT_I64:
        return "i64";
    case WT_F32:
        return "f32";
    case WT_F64:
        return "f64";
    case WT_V128:
        return "v128";
    case WT_FUNCREF:
        return "funcref";
    case WT_EXTERNREF:
        return "externref";
    case WT_ANYREF:
        return "anyref";
    default:
        return "?";
    }
}

/// Whether D type `T` maps to a wasm numeric value type (see `wasmTypeOf`).
enum isWasmNumeric(T) = is(Unqual!T == int) || is(Unqual!T == uint) || is(Unqual!T == long)
    || is(Unqual!T == ulong) || is(Unqual!T == float) || is(Unqual!T == double)
    || is(Unqual!T == bool);

/**
 * The wasm value type of a D type: `int`/`uint`/`bool` -> i32,
 * `long`/`ulong` -> i64, `float` -> f32, `double` -> f64.
 */
template wasmTypeOf(T)
{
    alias U = Unqual!T;
    static if (is(U == int) || is(U == uint) || is(U == bool))
        enum wasmTypeOf = ValType.i32;
    else static if (is(U == long) || is(U == ulong))
        enum wasmTypeOf = ValType.i64;
    else static if (is(U == float))
        enum wasmTypeOf = ValType.f32;
    else static if (is(U == double))
        enum wasmTypeOf = ValType.f64;
    else
        static assert(0, "D type " ~ T.stringof ~ " has no WebAssembly value type "
                ~ "(use int, uint, long, ulong, float, double or bool)");
}

/// The D types of the results of a function returning `R`:
/// nothing for `void`, the fields of a `std.typecons.Tuple`, else `R` itself.
template ResultTypes(R)
{
    static if (is(R == void))
        alias ResultTypes = AliasSeq!();
    else static if (isTuple!R)
        alias ResultTypes = R.Types;
    else
        alias ResultTypes = AliasSeq!R;
}

/// Encodes a D numeric value as a slot.
ulong toSlot(T)(T v) pure nothrow @nogc @trusted if (isWasmNumeric!T)
{
    alias U = Unqual!T;
    static if (is(U == bool))
        return v ? 1 : 0;
    else static if (is(U == int) || is(U == uint))
        return cast(ulong) cast(uint) v; // zero-extended
    else static if (is(U == long) || is(U == ulong))
        return cast(ulong) v;
    else static if (is(U == float))
    {
        float f = v;
        return cast(ulong)*cast(uint*)&f;
    }
    else static if (is(U == double))
    {
        double d = v;
        return *cast(ulong*)&d;
    }
}

/// Decodes a slot holding a value of D type `T`.
T fromSlot(T)(ulong s) pure nothrow @nogc @trusted if (isWasmNumeric!T)
{
    alias U = Unqual!T;
    static if (is(U == bool))
        return cast(uint) s != 0;
    else static if (is(U == int) || is(U == uint))
        return cast(T) cast(uint) s;
    else static if (is(U == long) || is(U == ulong))
        return cast(T) s;
    else static if (is(U == float))
    {
        uint bits = cast(uint) s;
        return *cast(float*)&bits;
    }
    else static if (is(U == double))
        return *cast(double*)&s;
}

/**
 * Encodes `v` for a parameter of wasm type `code`, accepting every D value
 * that converts without loss: integers to i32 when they fit the type (`int`,
 * `uint`, `bool`, ...), any integer to i64 (an `int` is sign-extended),
 * `float` to f32, `float` or `double` to f64. Integers never become floats.
 * Returns: false if `T` does not fit that wasm type.
 */
bool toSlotAs(T)(T v, int code, out ulong slot) pure nothrow @nogc @safe
{
    alias U = Unqual!T;
    switch (code)
    {
    case WT_I32:
        static if (is(U : int) && !is(U == uint) && !isFloatingPoint!U)
        {
            slot = toSlot!int(v);
            return true;
        }
        else static if (is(U : uint) && !isFloatingPoint!U)
        {
            slot = toSlot!uint(v);
            return true;
        }
        else
            return false;
    case WT_I64:
        static if (isIntegral!U || is(U == bool) || is(U : long) && !isFloatingPoint!U)
        {
            static if (is(U == ulong))
                slot = v;
            else
                slot = toSlot!long(v);
            return true;
        }
        else
            return false;
    case WT_F32:
        static if (is(U == float))
        {
            slot = toSlot!float(v);
            return true;
        }
        else
            return false;
    case WT_F64:
        static if (is(U == float) || is(U == double))
        {
            slot = toSlot!double(v);
            return true;
        }
        else
            return false;
    default:
        return false;
    }
}

/// Whether a slot of wasm type `code` can be decoded as D type `T` exactly
/// (results are not converted: ask for the type the function returns).
bool decodesAs(T)(int code) pure nothrow @nogc @safe
{
    static if (isWasmNumeric!T)
        return code == wasmTypeOf!T;
    else
        return false;
}

/// The wasm signature of D types as WAT text: "(i32, i64)".
string typeList(Ts...)()
{
    string s = "(";
    static foreach (i, T; Ts)
    {
        static if (i)
            s ~= ", ";
        s ~= valTypeName(wasmTypeOf!T);
    }
    return s ~ ")";
}

/// A wasm signature as WAT-like text: "(i32, i32) -> (i32)".
string signatureText(const(int)[] params, const(int)[] results) pure @safe
{
    string s = "(";
    foreach (i, p; params)
        s ~= (i ? ", " : "") ~ valTypeName(p);
    s ~= ") -> (";
    foreach (i, r; results)
        s ~= (i ? ", " : "") ~ valTypeName(r);
    return s ~ ")";
}

@("slots: i32 is zero-extended, f32 sits in the low 32 bits, f64 is its bit pattern")
unittest
{
    assert(toSlot(-1) == 0xFFFF_FFFFUL);
    assert(toSlot(7u) == 7);
    assert(fromSlot!int(0xFFFF_FFFFUL) == -1);
    assert(fromSlot!int(0xDEAD_0000_0000_0005UL) == 5); // upper bits are ignored
    assert(toSlot(-2L) == 0xFFFF_FFFF_FFFF_FFFEUL);
    assert(fromSlot!long(0xFFFF_FFFF_FFFF_FFFEUL) == -2);
    assert(toSlot(1.0f) == 0x3F80_0000UL);
    assert(fromSlot!float(0x3F80_0000UL) == 1.0f);
    assert(toSlot(-0.0f) == 0x8000_0000UL);
    assert(toSlot(1.0) == 0x3FF0_0000_0000_0000UL);
    assert(fromSlot!double(0x4009_21FB_5444_2D18UL) == 3.141592653589793);
    assert(toSlot(true) == 1 && fromSlot!bool(2));
    import std.math : isNaN;

    assert(fromSlot!float(0x7FC0_0000UL).isNaN);
}

@("slots: arguments convert implicitly and without loss to the parameter's type")
unittest
{
    ulong s;
    assert(toSlotAs(-1, WT_I64, s) && s == ulong.max); // int -> i64 sign-extends
    assert(toSlotAs(3, WT_F64, s) == false); // no integer -> float conversion
    assert(toSlotAs(1.5f, WT_F64, s) && fromSlot!double(s) == 1.5);
    assert(!toSlotAs(1L, WT_I32, s)); // would truncate
    assert(!toSlotAs(1.5, WT_F32, s)); // would lose precision
    assert(toSlotAs(uint.max, WT_I32, s) && s == 0xFFFF_FFFFUL);
    assert(!toSlotAs(1.0, WT_I64, s));
    static assert(wasmTypeOf!int == ValType.i32 && wasmTypeOf!(const ulong) == ValType.i64);
    static assert(!__traits(compiles, wasmTypeOf!string));
    assert(typeList!(int, double)() == "(i32, f64)");
    assert(signatureText([WT_I32], []) == "(i32) -> ()");
}
