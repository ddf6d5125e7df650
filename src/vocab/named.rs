//! Enums named once: their list, their names, `Display`, `FromStr` and serde all come from one definition.

/// Why a name is none of an enum's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What the enum names (`rule`, `party`…).
    pub what: &'static str,
    pub given: String,
    pub names: &'static [&'static str],
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown {} `{}` (one of: {})",
            self.what,
            self.given,
            self.names.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Defines an enum whose variants each carry their one stable name (and any older spellings
/// still read): `ALL` lists the variants in order, `NAMES` their names, the given accessor
/// returns a variant's name, and `Display`, `FromStr`, `Serialize` and `Deserialize` all use it.
/// A variant added is listed, named and parsed everywhere at once.
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal, $getter:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in definition order.
            pub const ALL: [$name; $name::NAMES.len()] = [$($name::$variant),+];
            /// Every variant's name, in definition order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The stable name: reports, policies and command lines spell it so.
            pub fn $getter(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.$getter())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err($crate::vocab::UnknownName {
                        what: $what,
                        given: s.to_string(),
                        names: $name::NAMES,
                    }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.$getter())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|_| {
                    serde::de::Error::unknown_variant(&s, $name::NAMES)
                })
            }
        }
    };
}

pub(crate) use named;

#[cfg(test)]
mod tests {
    named! {
        /// A test enum.
        enum Colour: "colour", name {
            Red = "red",
            DarkBlue = "dark-blue" | "darkblue",
        }
    }

    #[test]
    fn one_definition_names_lists_parses_and_serializes() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
        assert_eq!(Colour::NAMES, &["red", "dark-blue"]);
        assert_eq!(Colour::DarkBlue.to_string(), "dark-blue");
        assert_eq!("darkblue".parse::<Colour>(), Ok(Colour::DarkBlue));
        assert_eq!(
            "green".parse::<Colour>().unwrap_err().to_string(),
            "unknown colour `green` (one of: red, dark-blue)"
        );
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark-blue\""
        );
        let read: Colour = serde_json::from_str("\"darkblue\"").unwrap();
        assert_eq!(read, Colour::DarkBlue);
        let e = serde_json::from_str::<Colour>("\"green\"").unwrap_err();
        assert!(e.to_string().contains("unknown variant `green`"), "{e}");
    }
}
