terraform {
  # The aws provider requirement (~> 6.0) comes from the modules this one
  # composes; it declares no resource of its own.
  required_version = ">= 1.5"
}
