//! The canonical fields a mapping can fill, with the names mapping files and
//! reports use for them.

/// A field of the canonical `Customer` a mapping rule fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// `first_name`
    FirstName,
    /// `last_name`
    LastName,
    /// `name`: the display name
    Name,
    /// `company`
    Company,
    /// `notes`
    Notes,
    /// `tags`
    Tags,
    /// `accepts_marketing`
    AcceptsMarketing,
    /// `customer_group_id` (BigCommerce)
    CustomerGroupId,
    /// `channel_ids` (BigCommerce)
    ChannelIds,
    /// `tax_exempt_category` (BigCommerce)
    TaxExemptCategory,
    /// `origin_channel_id` (BigCommerce)
    OriginChannelId,
    /// `active` (Salesive)
    Active,
    /// `image_url` (bitbybit)
    ImageUrl,
    /// A field of the first (flat) address: `address.<name>`.
    Address(AddressField),
    /// A field of a numbered address block after the first (BigCommerce's
    /// export: `Address Line 1 - 2`): `address.<n>.<name>`, n from 2.
    AddressBlock(u8, AddressField),
}

/// A field of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressField {
    /// `first_name`
    FirstName,
    /// `last_name`
    LastName,
    /// `company`
    Company,
    /// `phone`
    Phone,
    /// `address1`
    Address1,
    /// `address2`
    Address2,
    /// `city`
    City,
    /// `province`
    Province,
    /// `province_code`
    ProvinceCode,
    /// `country`
    Country,
    /// `country_code`
    CountryCode,
    /// `zip`
    Zip,
}

/// Customer-level fields and their names, in report order.
pub const CUSTOMER_FIELDS: &[(Field, &str)] = &[
    (Field::Email, "email"),
    (Field::Phone, "phone"),
    (Field::FirstName, "first_name"),
    (Field::LastName, "last_name"),
    (Field::Name, "name"),
    (Field::Company, "company"),
    (Field::Notes, "notes"),
    (Field::Tags, "tags"),
    (Field::AcceptsMarketing, "accepts_marketing"),
    (Field::CustomerGroupId, "customer_group_id"),
    (Field::ChannelIds, "channel_ids"),
    (Field::TaxExemptCategory, "tax_exempt_category"),
    (Field::OriginChannelId, "origin_channel_id"),
    (Field::Active, "active"),
    (Field::ImageUrl, "image_url"),
];

/// Address fields and their names, in report order.
pub const ADDRESS_FIELDS: &[(AddressField, &str)] = &[
    (AddressField::FirstName, "first_name"),
    (AddressField::LastName, "last_name"),
    (AddressField::Company, "company"),
    (AddressField::Phone, "phone"),
    (AddressField::Address1, "address1"),
    (AddressField::Address2, "address2"),
    (AddressField::City, "city"),
    (AddressField::Province, "province"),
    (AddressField::ProvinceCode, "province_code"),
    (AddressField::Country, "country"),
    (AddressField::CountryCode, "country_code"),
    (AddressField::Zip, "zip"),
];

impl Field {
    /// The field's name: `email`, or `address.city` for an address field.
    pub fn name(self) -> String {
        match self {
            Field::Address(a) => format!("address.{}", a.name()),
            Field::AddressBlock(n, a) => format!("address.{n}.{}", a.name()),
            other => CUSTOMER_FIELDS
                .iter()
                .find(|(f, _)| *f == other)
                .map(|(_, n)| (*n).to_string())
                .unwrap_or_default(),
        }
    }

    /// The customer-level field called `name`, if any.
    pub fn customer(name: &str) -> Option<Field> {
        CUSTOMER_FIELDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}

impl AddressField {
    /// The field's name inside an address, e.g. `city`.
    pub fn name(self) -> &'static str {
        ADDRESS_FIELDS
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }

    /// The address field called `name`, if any.
    pub fn from_name(name: &str) -> Option<AddressField> {
        ADDRESS_FIELDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}
