//! One column value on its way between the two books (integers and text are all they hold).

use postgres::types::{to_sql_checked, IsNull, ToSql as PgToSql, Type};
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::tables::Ty;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum V {
    Null,
    Int(i64),
    Text(String),
}

impl V {
    pub(crate) fn from_sqlite(v: ValueRef<'_>) -> rusqlite::Result<V> {
        Ok(match v {
            ValueRef::Null => V::Null,
            ValueRef::Integer(i) => V::Int(i),
            ValueRef::Text(t) => V::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Real(f) => V::Text(f.to_string()),
            ValueRef::Blob(_) => return Err(rusqlite::Error::InvalidColumnType(0, "blob".into(), rusqlite::types::Type::Blob)),
        })
    }

    pub(crate) fn from_pg(row: &postgres::Row, i: usize, ty: Ty) -> Result<V, postgres::Error> {
        Ok(match ty {
            Ty::Int => row.try_get::<_, Option<i64>>(i)?.map_or(V::Null, V::Int),
            Ty::Text | Ty::Ref(_) => row.try_get::<_, Option<String>>(i)?.map_or(V::Null, V::Text),
        })
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            V::Text(s) => Some(s),
            _ => None,
        }
    }

}

impl rusqlite::ToSql for V {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            V::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            V::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            V::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

impl PgToSql for V {
    fn to_sql(&self, ty: &Type, out: &mut postgres::types::private::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            V::Null => Ok(IsNull::Yes),
            V::Int(i) => i.to_sql(ty, out),
            V::Text(s) => s.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as PgToSql>::accepts(ty) || <String as PgToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// Parameters for a PostgreSQL statement.
pub(crate) fn pg_params(v: &[V]) -> Vec<&(dyn PgToSql + Sync)> {
    v.iter().map(|x| x as &(dyn PgToSql + Sync)).collect()
}
